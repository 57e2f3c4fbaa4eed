//! One account: its IAM data (without which the account is not collected), then S3 and every
//! enabled region's resource policies and inventory, where a refused call is a gap and the rest
//! is still read.

use std::sync::Arc;

use aws_config::{Region, SdkConfig};

use crate::error::CallError;
use crate::harvest::Harvest;
use crate::policies::Place;
use crate::progress::Progress;
use crate::{CollectOptions, ec2, iam, inventory, policies, s3};

/// How many regions of one account are read at once.
const REGIONS_AT_ONCE: usize = 4;

/// The files and gaps of `account`, read through its member role unless it is the caller's.
pub(crate) async fn collect(
    config: &SdkConfig,
    options: &CollectOptions,
    caller_account: &str,
    partition: &str,
    account: &str,
    progress: &dyn Progress,
) -> Result<Harvest, CallError> {
    progress.step(account, "entering");
    let config = if account == caller_account {
        config.clone()
    } else {
        assume(config, options, partition, account).await?
    };
    progress.step(account, "iam");
    let iam = aws_sdk_iam::Client::new(&config);
    let base = format!("accounts/{account}/iam");
    let mut harvest = Harvest::default();
    harvest.file(
        format!("{base}/get-account-authorization-details.json"),
        iam::authorization_details(&iam).await?,
    );
    match iam::saml_providers(&iam).await {
        Ok(providers) => harvest.file(format!("{base}/list-saml-providers.json"), providers),
        Err(error) => harvest.gap("iam", &error),
    }
    match iam::oidc_providers(&iam).await {
        Ok(providers) => harvest.file(
            format!("{base}/list-open-id-connect-providers.json"),
            providers,
        ),
        Err(error) => harvest.gap("iam", &error),
    }
    progress.step(account, "s3");
    harvest.take("s3", s3::collect(&config, account).await);

    let regions = match &options.regions {
        Some(regions) => regions.clone(),
        None => match ec2::enabled_regions(&config).await {
            Ok(regions) => regions,
            Err(error) => {
                let home = config
                    .region()
                    .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
                harvest.gap(
                    &format!("enabled regions unknown, only {home} read"),
                    &error,
                );
                vec![home]
            }
        },
    };
    let total = regions.len();
    harvest.regions = regions.clone();
    progress.step(account, &format!("regions 0/{total}"));
    let bound = Arc::new(tokio::sync::Semaphore::new(REGIONS_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for region in regions {
        let config = config
            .to_builder()
            .region(Region::new(region.clone()))
            .build();
        let account = account.to_owned();
        let bound = Arc::clone(&bound);
        let with_inventory = options.inventory;
        tasks.spawn(async move {
            let _permit = bound.acquire_owned().await;
            regional(&config, &account, &region, with_inventory).await
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        done += 1;
        progress.step(account, &format!("regions {done}/{total}"));
        match joined {
            Ok(part) => harvest.merge(part),
            Err(_) => harvest
                .gaps
                .push("a region's collection stopped unexpectedly".into()),
        }
    }
    Ok(harvest)
}

/// One region's resource policies (and inventory), its services read at once.
async fn regional(
    config: &SdkConfig,
    account: &str,
    region: &str,
    with_inventory: bool,
) -> Harvest {
    let base = format!("accounts/{account}/{region}");
    let at = Place {
        base: &base,
        region,
    };
    let (kms, lambda, sqs, sns, secrets, apis, endpoints, compute) = tokio::join!(
        policies::kms(config, &at),
        policies::lambda(config, &at),
        policies::sqs(config, &at),
        policies::sns(config, &at),
        policies::secrets(config, &at),
        policies::api_gateway(config, &at),
        ec2::vpc_endpoints(config, &at),
        inventory::collect(config, &at, with_inventory),
    );
    let mut harvest = Harvest::default();
    for (service, part) in [
        ("kms", kms),
        ("lambda", lambda),
        ("sqs", sqs),
        ("sns", sns),
        ("secretsmanager", secrets),
        ("apigateway", apis),
        ("ec2", endpoints),
    ] {
        harvest.take(&format!("{region} {service}"), part);
    }
    harvest.merge(compute);
    harvest
}

/// A configuration with the credentials of the member role of `account`.
async fn assume(
    config: &SdkConfig,
    options: &CollectOptions,
    partition: &str,
    account: &str,
) -> Result<SdkConfig, CallError> {
    let role = format!(
        "arn:{partition}:iam::{account}:role/{}",
        options.member_role
    );
    let sts = aws_sdk_sts::Client::new(config);
    let mut request = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name("accessgraph-collect");
    if let Some(external_id) = &options.external_id {
        request = request.external_id(external_id);
    }
    let output = request
        .send()
        .await
        .map_err(|error| CallError::of("sts:AssumeRole", &error))?;
    let credentials = output.credentials.ok_or_else(|| CallError {
        call: "sts:AssumeRole",
        code: None,
        message: format!("no credentials returned for `{role}`"),
    })?;
    let provider = aws_sdk_sts::config::Credentials::new(
        credentials.access_key_id,
        credentials.secret_access_key,
        Some(credentials.session_token),
        None,
        "accessgraph-member-role",
    );
    Ok(config
        .to_builder()
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build())
}
