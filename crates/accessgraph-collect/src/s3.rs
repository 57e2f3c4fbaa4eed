//! S3, per account: `list-buckets` (the account's canonical user id and its buckets), and per
//! bucket `get-bucket-policy`, `get-bucket-acl` and `get-bucket-ownership-controls`, each asked
//! of the bucket's own region (S3 redirects a request sent elsewhere).

use std::collections::HashMap;

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Bucket, Grant, Owner};
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::harvest::Harvest;
use crate::json::Object;

/// The S3 files of `account`; a bucket whose calls fail is a gap, the rest is collected.
pub(crate) async fn collect(config: &SdkConfig, account: &str) -> Result<Harvest, CallError> {
    let client = Client::new(config);
    let mut buckets = Vec::new();
    let mut owner = None;
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("s3:ListAllMyBuckets"))?;
        owner = owner.or(page.owner);
        buckets.extend(page.buckets.unwrap_or_default());
    }
    let base = format!("accounts/{account}/s3");
    let mut harvest = Harvest::default();
    harvest.file(
        format!("{base}/_list-buckets.json"),
        Object::new()
            .list("Buckets", Some(&buckets), bucket)
            .value("Owner", owner.as_ref().map(owner_json))
            .done(),
    );
    let mut regional: HashMap<String, Client> = HashMap::new();
    for listed in &buckets {
        let Some(name) = listed.name.as_deref() else {
            continue;
        };
        let region = match &listed.bucket_region {
            Some(region) => region.clone(),
            None => match location(&client, name).await {
                Ok(region) => region,
                Err(error) => {
                    harvest.gap(&format!("bucket {name}"), &error);
                    continue;
                }
            },
        };
        let client = regional
            .entry(region.clone())
            .or_insert_with(|| {
                Client::from_conf(
                    aws_sdk_s3::config::Builder::from(config)
                        .region(Region::new(region))
                        .build(),
                )
            })
            .clone();
        harvest.take(
            &format!("bucket {name}"),
            one_bucket(&client, &base, name).await,
        );
    }
    Ok(harvest)
}

/// The region of a bucket that `list-buckets` did not place (`get-bucket-location`: empty for
/// us-east-1, `EU` for eu-west-1).
async fn location(client: &Client, bucket: &str) -> Result<String, CallError> {
    let output = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(failed("s3:GetBucketLocation"))?;
    Ok(
        match output.location_constraint.as_ref().map(|c| c.as_str()) {
            None | Some("") => "us-east-1".to_owned(),
            Some("EU") => "eu-west-1".to_owned(),
            Some(region) => region.to_owned(),
        },
    )
}

/// A bucket's policy, ACL and ownership controls; "none" answers write no file.
async fn one_bucket(client: &Client, base: &str, bucket: &str) -> Result<Harvest, CallError> {
    let mut harvest = Harvest::default();
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(output) => harvest.file(
            format!("{base}/{bucket}.json"),
            Object::new()
                .text("Policy", output.policy.as_deref())
                .done(),
        ),
        Err(error) => {
            let error = CallError::of("s3:GetBucketPolicy", &error);
            if !error.is(&["NoSuchBucketPolicy"]) {
                return Err(error);
            }
        }
    }
    let acl = client
        .get_bucket_acl()
        .bucket(bucket)
        .send()
        .await
        .map_err(failed("s3:GetBucketAcl"))?;
    harvest.file(
        format!("{base}/acl/{bucket}.json"),
        Object::new()
            .value("Owner", acl.owner.as_ref().map(owner_json))
            .list("Grants", acl.grants.as_deref(), grant)
            .done(),
    );
    match client
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(output) => harvest.file(
            format!("{base}/ownership/{bucket}.json"),
            Object::new()
                .value(
                    "OwnershipControls",
                    output.ownership_controls.map(|controls| {
                        json!({"Rules": controls.rules.iter().map(|rule| {
                            json!({"ObjectOwnership": rule.object_ownership.as_str()})
                        }).collect::<Vec<_>>()})
                    }),
                )
                .done(),
        ),
        Err(error) => {
            let error = CallError::of("s3:GetBucketOwnershipControls", &error);
            if !error.is(&["OwnershipControlsNotFoundError"]) {
                return Err(error);
            }
        }
    }
    Ok(harvest)
}

fn bucket(bucket: &Bucket) -> Value {
    Object::new()
        .text("Name", bucket.name.as_deref())
        .time("CreationDate", bucket.creation_date.as_ref())
        .text("BucketRegion", bucket.bucket_region.as_deref())
        .done()
}

fn owner_json(owner: &Owner) -> Value {
    Object::new()
        .text("DisplayName", owner.display_name.as_deref())
        .text("ID", owner.id.as_deref())
        .done()
}

fn grant(grant: &Grant) -> Value {
    Object::new()
        .value(
            "Grantee",
            grant.grantee.as_ref().map(|grantee| {
                Object::new()
                    .text("DisplayName", grantee.display_name.as_deref())
                    .text("EmailAddress", grantee.email_address.as_deref())
                    .text("ID", grantee.id.as_deref())
                    .text("Type", Some(grantee.r#type.as_str()))
                    .text("URI", grantee.uri.as_deref())
                    .done()
            }),
        )
        .text(
            "Permission",
            grant
                .permission
                .as_ref()
                .map(|permission| permission.as_str()),
        )
        .done()
}
