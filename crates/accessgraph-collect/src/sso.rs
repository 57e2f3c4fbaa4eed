//! IAM Identity Center, read from the management (or delegated administrator) account:
//! the instance, its permission sets, their account assignments in the collected accounts, and
//! the identity store's users, groups and memberships (`organizations/sso/...`).
//!
//! Identity Center lives in one region; when the home region holds no instance, every enabled
//! region is asked. Users keep their names and e-mail addresses (to tell who a person is) but not
//! their postal addresses or phone numbers.

use aws_config::{Region, SdkConfig};
use aws_sdk_identitystore::types::{ExternalId, Group, GroupMembership, MemberId, User};
use aws_sdk_ssoadmin::types::InstanceMetadata;
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::harvest::Harvest;
use crate::json::Object;

const BASE: &str = "organizations/sso";

/// The Identity Center files, for the assignments in `accounts` (sorted); no files without an
/// instance.
pub(crate) async fn collect(config: &SdkConfig, accounts: &[String]) -> Result<Harvest, CallError> {
    let Some((config, instances)) = find_instances(config).await? else {
        return Ok(Harvest::default());
    };
    let mut harvest = Harvest::default();
    harvest.file(
        format!("{BASE}/list-instances.json"),
        json!({ "Instances": instances.iter().map(instance).collect::<Vec<_>>() }),
    );
    // The layout holds one identity store: the organization's instance (the first one).
    let Some(chosen) = instances.first() else {
        return Ok(harvest);
    };
    if instances.len() > 1 {
        harvest.gaps.push(format!(
            "{} Identity Center instances: only the first one's permission sets and identity store were read",
            instances.len()
        ));
    }
    let (Some(instance_arn), Some(store)) = (
        chosen.instance_arn.as_deref(),
        chosen.identity_store_id.as_deref(),
    ) else {
        return Ok(harvest);
    };
    let sets = permission_sets(&config, instance_arn, accounts).await;
    harvest.take("Identity Center permission sets", sets);
    let people = identity_store(&config, store).await;
    harvest.take("Identity Center identity store", people);
    Ok(harvest)
}

/// The instances, and the configuration of the region that holds them.
async fn find_instances(
    config: &SdkConfig,
) -> Result<Option<(SdkConfig, Vec<InstanceMetadata>)>, CallError> {
    let found = instances_in(config).await?;
    if !found.is_empty() {
        return Ok(Some((config.clone(), found)));
    }
    let home = config.region().map(ToString::to_string);
    for region in crate::ec2::enabled_regions(config).await? {
        if Some(&region) == home.as_ref() {
            continue;
        }
        let regional = config.to_builder().region(Region::new(region)).build();
        let found = instances_in(&regional).await?;
        if !found.is_empty() {
            return Ok(Some((regional, found)));
        }
    }
    Ok(None)
}

async fn instances_in(config: &SdkConfig) -> Result<Vec<InstanceMetadata>, CallError> {
    let client = aws_sdk_ssoadmin::Client::new(config);
    let mut instances = Vec::new();
    let mut pages = client.list_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        instances.extend(
            page.map_err(failed("sso:ListInstances"))?
                .instances
                .unwrap_or_default(),
        );
    }
    Ok(instances)
}

/// Each permission set (`describe-permission-set`) and its assignments in the accounts where it
/// is provisioned (`list-account-assignments`); a permission set that cannot be read is a gap.
async fn permission_sets(
    config: &SdkConfig,
    instance_arn: &str,
    accounts: &[String],
) -> Result<Harvest, CallError> {
    let client = aws_sdk_ssoadmin::Client::new(config);
    let mut harvest = Harvest::default();
    let mut sets = Vec::new();
    let mut pages = client
        .list_permission_sets()
        .instance_arn(instance_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        sets.extend(
            page.map_err(failed("sso:ListPermissionSets"))?
                .permission_sets
                .unwrap_or_default(),
        );
    }
    for set_arn in sets {
        let part = permission_set(&client, instance_arn, &set_arn, accounts).await;
        harvest.take(&format!("permission set {set_arn}"), part);
    }
    Ok(harvest)
}

/// One permission set and its assignments.
async fn permission_set(
    client: &aws_sdk_ssoadmin::Client,
    instance_arn: &str,
    set_arn: &str,
    accounts: &[String],
) -> Result<Harvest, CallError> {
    let mut harvest = Harvest::default();
    let id = set_arn.rsplit('/').next().unwrap_or(set_arn).to_owned();
    let described = client
        .describe_permission_set()
        .instance_arn(instance_arn)
        .permission_set_arn(set_arn)
        .send()
        .await
        .map_err(failed("sso:DescribePermissionSet"))?;
    let set = described.permission_set.as_ref().map(|set| {
        Object::new()
            .text("Name", set.name.as_deref())
            .text("PermissionSetArn", set.permission_set_arn.as_deref())
            .text("Description", set.description.as_deref())
            .time("CreatedDate", set.created_date.as_ref())
            .text("SessionDuration", set.session_duration.as_deref())
            .text("RelayState", set.relay_state.as_deref())
            .done()
    });
    harvest.file(
        format!("{BASE}/permission-sets/{id}.json"),
        Object::new().value("PermissionSet", set).done(),
    );

    let mut provisioned = Vec::new();
    let mut pages = client
        .list_accounts_for_provisioned_permission_set()
        .instance_arn(instance_arn)
        .permission_set_arn(set_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        provisioned.extend(
            page.map_err(failed("sso:ListAccountsForProvisionedPermissionSet"))?
                .account_ids
                .unwrap_or_default(),
        );
    }
    for account in provisioned
        .iter()
        .filter(|account| accounts.contains(account))
    {
        let mut assignments = Vec::new();
        let mut pages = client
            .list_account_assignments()
            .instance_arn(instance_arn)
            .account_id(account)
            .permission_set_arn(set_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(failed("sso:ListAccountAssignments"))?;
            assignments.extend(page.account_assignments.unwrap_or_default().iter().map(
                |assignment| {
                    Object::new()
                        .text("AccountId", assignment.account_id.as_deref())
                        .text("PermissionSetArn", assignment.permission_set_arn.as_deref())
                        .text(
                            "PrincipalType",
                            assignment.principal_type.as_ref().map(|kind| kind.as_str()),
                        )
                        .text("PrincipalId", assignment.principal_id.as_deref())
                        .done()
                },
            ));
        }
        harvest.file(
            format!("{BASE}/assignments/{account}.{id}.json"),
            json!({ "AccountAssignments": assignments }),
        );
    }
    Ok(harvest)
}

/// The identity store's users, groups, and each group's memberships.
async fn identity_store(config: &SdkConfig, store: &str) -> Result<Harvest, CallError> {
    let client = aws_sdk_identitystore::Client::new(config);
    let mut harvest = Harvest::default();
    let mut users = Vec::new();
    let mut pages = client
        .list_users()
        .identity_store_id(store)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        users.extend(
            page.map_err(failed("identitystore:ListUsers"))?
                .users
                .iter()
                .map(user),
        );
    }
    harvest.file(
        format!("{BASE}/identitystore/list-users.json"),
        json!({ "Users": users }),
    );
    let mut groups = Vec::new();
    let mut pages = client
        .list_groups()
        .identity_store_id(store)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        groups.extend(page.map_err(failed("identitystore:ListGroups"))?.groups);
    }
    harvest.file(
        format!("{BASE}/identitystore/list-groups.json"),
        json!({ "Groups": groups.iter().map(group).collect::<Vec<_>>() }),
    );
    for id in groups.iter().map(|group| group.group_id.as_str()) {
        let mut memberships = Vec::new();
        let mut pages = client
            .list_group_memberships()
            .identity_store_id(store)
            .group_id(id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(failed("identitystore:ListGroupMemberships"))?;
            memberships.extend(page.group_memberships.iter().map(membership));
        }
        harvest.file(
            format!("{BASE}/identitystore/list-group-memberships/{id}.json"),
            json!({ "GroupMemberships": memberships }),
        );
    }
    Ok(harvest)
}

fn instance(instance: &InstanceMetadata) -> Value {
    Object::new()
        .text("InstanceArn", instance.instance_arn.as_deref())
        .text("IdentityStoreId", instance.identity_store_id.as_deref())
        .text("OwnerAccountId", instance.owner_account_id.as_deref())
        .text("Name", instance.name.as_deref())
        .time("CreatedDate", instance.created_date.as_ref())
        .text(
            "Status",
            instance.status.as_ref().map(|status| status.as_str()),
        )
        .done()
}

fn external_ids(ids: Option<&[ExternalId]>) -> Option<Value> {
    ids.map(|ids| {
        ids.iter()
            .map(|id| json!({"Issuer": id.issuer, "Id": id.id}))
            .collect()
    })
}

fn user(user: &User) -> Value {
    Object::new()
        .text("UserName", user.user_name.as_deref())
        .text("UserId", Some(&user.user_id))
        .value("ExternalIds", external_ids(user.external_ids.as_deref()))
        .value(
            "Name",
            user.name.as_ref().map(|name| {
                Object::new()
                    .text("Formatted", name.formatted.as_deref())
                    .text("FamilyName", name.family_name.as_deref())
                    .text("GivenName", name.given_name.as_deref())
                    .text("MiddleName", name.middle_name.as_deref())
                    .done()
            }),
        )
        .text("DisplayName", user.display_name.as_deref())
        .list("Emails", user.emails.as_deref(), |email| {
            Object::new()
                .text("Value", email.value.as_deref())
                .text("Type", email.r#type.as_deref())
                .value("Primary", Some(Value::Bool(email.primary)))
                .done()
        })
        .text("UserType", user.user_type.as_deref())
        .text("Title", user.title.as_deref())
        .text("IdentityStoreId", Some(&user.identity_store_id))
        .done()
}

fn group(group: &Group) -> Value {
    Object::new()
        .text("GroupId", Some(&group.group_id))
        .text("DisplayName", group.display_name.as_deref())
        .value("ExternalIds", external_ids(group.external_ids.as_deref()))
        .text("Description", group.description.as_deref())
        .text("IdentityStoreId", Some(&group.identity_store_id))
        .done()
}

fn membership(membership: &GroupMembership) -> Value {
    Object::new()
        .text("IdentityStoreId", Some(&membership.identity_store_id))
        .text("MembershipId", membership.membership_id.as_deref())
        .text("GroupId", membership.group_id.as_deref())
        .value(
            "MemberId",
            match &membership.member_id {
                Some(MemberId::UserId(id)) => Some(json!({ "UserId": id })),
                _ => None,
            },
        )
        .done()
}
