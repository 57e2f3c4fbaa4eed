//! Collects a live AWS account or organization through the AWS SDK for Rust into a snapshot
//! directory in the layout `accessgraph ingest` reads (`docs/snapshot-layout.md`), every file in
//! the JSON shape the AWS CLI prints for its call, so a collected snapshot and a hand-made one
//! are interchangeable.
//!
//! From the management (or a delegated administrator) account: the organization, then each
//! member account through `--member-role`; without access to Organizations, the caller's own
//! account. An account that cannot be read is a warning, recorded in `snapshot.json`. The
//! snapshot is written to a temporary directory beside the target and renamed into place at the
//! end, so an interrupted collection leaves no half snapshot.

mod account;
mod counting;
mod ec2;
mod error;
mod harvest;
mod iam;
mod inventory;
mod json;
mod organizations;
mod policies;
mod progress;
mod s3;
mod sso;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use serde_json::json;

pub use error::{CallError, CollectError};
pub use progress::{Progress, Silent};

/// The role assumed in member accounts unless `--member-role` says otherwise: a read-only audit
/// role the organization creates for the collector (see `docs/collect.md`).
pub const DEFAULT_MEMBER_ROLE: &str = "AccessGraphAudit";

/// The IAM policy the collector needs: every read-only action it calls, for the management
/// account and for the member role (`accessgraph collect --print-policy`).
pub const COLLECTOR_POLICY: &str = include_str!("../data/collector-policy.json");

/// What to collect and where.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The snapshot directory to create (must not exist).
    pub out: PathBuf,
    /// A named profile of the shared AWS configuration, instead of the default chain.
    pub profile: Option<String>,
    /// The home region (Organizations, STS and IAM calls).
    pub region: Option<String>,
    /// The role assumed in each member account.
    pub member_role: String,
    /// The external id the member role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// Only these accounts (of the organization); all when `None`.
    pub accounts: Option<Vec<String>>,
    /// Only the accounts under these OUs (or roots), at any depth; all when `None`.
    pub ous: Option<Vec<String>>,
    /// The regions read for regional services; every region enabled in each account when
    /// `None`.
    pub regions: Option<Vec<String>>,
    /// Whether the compute inventory (EC2, SSM, CloudFormation, CodeBuild, Glue, SageMaker, ECS,
    /// App Runner) is read; Lambda's function list is read either way.
    pub inventory: bool,
    /// How many accounts are read at once.
    pub concurrency: usize,
    /// Whether anything that could not be read fails the collection (nothing is written).
    pub strict: bool,
}

/// What a collection did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The accounts read, sorted.
    pub accounts: Vec<String>,
    /// The files written.
    pub files: usize,
    /// The HTTP requests sent to AWS (retries included).
    pub calls: usize,
    /// What could not be read (an account whose role could not be assumed, a denied call).
    pub warnings: Vec<String>,
    /// The accounts read only in part (a call refused), with what they lack.
    pub incomplete: std::collections::BTreeMap<String, Vec<String>>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Collects, writing the snapshot directory `options.out`.
///
/// # Errors
/// When the output exists or cannot be written, when the credentials' identity cannot be read,
/// or when no account could be read at all.
pub async fn collect(
    options: &CollectOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary, CollectError> {
    let started = Instant::now();
    if options.out.exists() {
        return Err(CollectError::Exists(options.out.clone()));
    }
    let (config, sent) = load_config(options).await;
    let sts = aws_sdk_sts::Client::new(&config);
    let identity =
        sts.get_caller_identity().send().await.map_err(|error| {
            CollectError::Identity(CallError::of("sts:GetCallerIdentity", &error))
        })?;
    let caller_account = identity.account.unwrap_or_default();
    let partition = identity
        .arn
        .as_deref()
        .and_then(|arn| arn.split(':').nth(1))
        .unwrap_or("aws")
        .to_owned();

    let mut files: Vec<(String, serde_json::Value)> = Vec::new();
    let mut warnings = Vec::new();
    let organizations = aws_sdk_organizations::Client::new(&config);
    let (mut accounts, read_organization) = match organizations::collect(&organizations).await {
        Ok(collected) => {
            let mut accounts = collected.accounts.clone();
            if let Some(ous) = &options.ous {
                let (under, unknown) = collected.accounts_under(ous);
                if !unknown.is_empty() {
                    return Err(CollectError::Nothing(format!(
                        "no OU or root {} in the organization",
                        unknown.join(", ")
                    )));
                }
                // `under` is sorted.
                accounts.retain(|account| under.binary_search(account).is_ok());
            }
            files.extend(collected.files);
            (accounts, true)
        }
        Err(error) if organizations::means_no_organization(&error) && options.ous.is_none() => {
            warnings.push(format!(
                "no organization read ({error}): collecting the caller's account {caller_account} only"
            ));
            (vec![caller_account.clone()], false)
        }
        Err(error) => {
            return Err(CollectError::Nothing(format!(
                "the organization could not be read: {error}"
            )));
        }
    };
    if let Some(only) = &options.accounts {
        accounts.retain(|account| only.contains(account));
    }
    accounts.sort();

    // Identity Center, beside the accounts, when the organization could be read.
    let identity_center = read_organization.then(|| {
        let config = config.clone();
        let accounts = accounts.clone();
        tokio::spawn(async move { sso::collect(&config, &accounts).await })
    });

    progress.accounts(accounts.len());
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for account in accounts {
        let config = config.clone();
        let options = options.clone();
        let caller_account = caller_account.clone();
        let partition = partition.clone();
        let semaphore = Arc::clone(&semaphore);
        let progress = Arc::clone(&progress);
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let result = account::collect(
                &config,
                &options,
                &caller_account,
                &partition,
                &account,
                progress.as_ref(),
            )
            .await;
            progress.finished(&account);
            (account, result)
        });
    }
    let mut read = Vec::new();
    let mut incomplete = std::collections::BTreeMap::new();
    let mut regions = std::collections::BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((account, result)) = joined else {
            warnings.push("an account's collection stopped unexpectedly".to_owned());
            continue;
        };
        match result {
            Ok(harvest) => {
                files.extend(harvest.files);
                regions.insert(account.clone(), harvest.regions);
                if !harvest.gaps.is_empty() {
                    let mut gaps = harvest.gaps;
                    gaps.sort();
                    warnings.extend(gaps.iter().map(|gap| format!("account {account}: {gap}")));
                    incomplete.insert(account.clone(), gaps);
                }
                read.push(account);
            }
            Err(error) => warnings.push(format!("account {account} not collected: {error}")),
        }
    }
    read.sort();
    let mut organization_gaps = Vec::new();
    if let Some(task) = identity_center {
        let mut part = harvest::Harvest::default();
        match task.await {
            Ok(result) => part.take("Identity Center", result),
            Err(_) => part
                .gaps
                .push("Identity Center: the collection stopped unexpectedly".to_owned()),
        }
        files.extend(part.files);
        organization_gaps = part.gaps;
        warnings.extend(
            organization_gaps
                .iter()
                .map(|gap| format!("organization: {gap}")),
        );
    }
    if read.is_empty() {
        return Err(CollectError::Nothing(warnings.join("; ")));
    }
    if options.strict && !warnings.is_empty() {
        return Err(CollectError::Incomplete(warnings));
    }
    let collected_at = json::timestamp(&aws_sdk_iam::primitives::DateTime::from(
        std::time::SystemTime::now(),
    ));
    files.push((
        "snapshot.json".to_owned(),
        json!({
            "collected_at": collected_at,
            "source": format!("accessgraph collect {}", env!("CARGO_PKG_VERSION")),
            "partition": partition,
            // The regions read in each account: an inventory is all there is only where read.
            "regions": regions,
            "collector": {
                "caller_account": caller_account,
                "accounts": read,
                "incomplete": incomplete,
                "organization_gaps": organization_gaps,
                "warnings": warnings,
            },
        }),
    ));
    let written = write::snapshot(&options.out, &files)?;
    Ok(Summary {
        accounts: read,
        files: written,
        calls: sent.load(Ordering::Relaxed),
        warnings,
        incomplete,
        elapsed: started.elapsed(),
    })
}

/// The SDK configuration: the standard credential chain (or a profile), the home region, and
/// adaptive retries for throttling. `AWS_ENDPOINT_URL` (an emulator) is honoured by the SDK.
async fn load_config(options: &CollectOptions) -> (SdkConfig, Arc<AtomicUsize>) {
    // Adaptive retries absorb throttling across many accounts; `AWS_MAX_ATTEMPTS` still rules.
    let attempts = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(8);
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let counting = counting::CountingClient::new(https);
    let sent = counting.sent();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(counting)
        .retry_config(RetryConfig::adaptive().with_max_attempts(attempts));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    (loader.load().await, sent)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::COLLECTOR_POLICY;

    fn policy_actions() -> BTreeSet<String> {
        let policy: serde_json::Value = serde_json::from_str(COLLECTOR_POLICY).unwrap();
        let mut actions = BTreeSet::new();
        for statement in policy["Statement"].as_array().unwrap() {
            match &statement["Action"] {
                serde_json::Value::String(action) => {
                    actions.insert(action.clone());
                }
                serde_json::Value::Array(list) => {
                    actions.extend(
                        list.iter()
                            .map(|action| action.as_str().unwrap().to_owned()),
                    );
                }
                other => panic!("unexpected Action {other}"),
            }
        }
        actions
    }

    /// Every action of the documented policy is a real IAM action, and read-only (the AWS
    /// catalog's access levels `List` and `Read`, and `sts:AssumeRole` to enter members).
    #[test]
    fn the_policy_names_real_read_only_actions() {
        let catalog = accessgraph_catalog::Catalog::embedded();
        for action in policy_actions() {
            let Some((_, info)) = catalog.action(&action) else {
                panic!("{action} is not in the AWS action catalog");
            };
            let read_only = info.levels.iter().all(|level| {
                matches!(
                    level,
                    accessgraph_catalog::AccessLevel::List | accessgraph_catalog::AccessLevel::Read
                )
            });
            assert!(
                action == "sts:AssumeRole" || read_only,
                "{action} is {:?}",
                info.levels
            );
        }
    }

    /// Every call the collector makes is allowed by the policy (`sts:GetCallerIdentity` needs no
    /// permission).
    #[test]
    fn the_policy_covers_every_call() {
        let actions = policy_actions();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut calls = BTreeSet::new();
        let mut files = Vec::new();
        let mut dirs = vec![source];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            for marker in ["failed(\"", "CallError::of(\""] {
                for piece in text.split(marker).skip(1) {
                    let call = piece.split('"').next().unwrap();
                    if call.contains(':') {
                        calls.insert(call.to_owned());
                    }
                }
            }
        }
        assert!(calls.len() > 40, "{calls:?}");
        calls.remove("sts:GetCallerIdentity");
        let missing: Vec<_> = calls.difference(&actions).collect();
        assert!(
            missing.is_empty(),
            "calls the policy does not allow: {missing:?}"
        );
    }
}
