//! Finding the files of a snapshot directory and what each one is (snapshot-format.md layout).

use std::path::{Path, PathBuf};

use accessgraph_model::{ComputeService, ResourcePolicyKind};

use crate::error::IngestError;

/// What a file of the snapshot layout holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `snapshot.json`.
    Manifest,
    /// `organizations/describe-organization.json`.
    Organization,
    /// `organizations/list-roots.json`.
    Roots,
    /// `organizations/list-accounts.json`.
    OrgAccounts,
    /// `organizations/ous/PARENT.json`.
    Ous { parent: String },
    /// `organizations/children/PARENT.json`.
    Children { parent: String },
    /// `organizations/policies/ID.json`.
    OrgPolicy,
    /// `organizations/targets/ID.json`.
    Targets { policy_id: String },
    /// `accounts/ID/iam/get-account-authorization-details[.N].json`.
    Authorization { account: String, page: u32 },
    /// `accounts/ID/iam/list-saml-providers.json`.
    SamlProviders { account: String },
    /// `accounts/ID/iam/list-open-id-connect-providers.json`.
    OidcProviders { account: String },
    /// `accounts/ID/s3/_list-buckets.json`.
    ListBuckets { account: String },
    /// A resource policy file.
    ResourcePolicy {
        account: String,
        region: String,
        kind: ResourcePolicyKind,
        name: String,
    },
    /// A compute inventory file.
    Inventory {
        account: String,
        region: String,
        service: ComputeService,
    },
    /// `accounts/ID/REGION/ec2/describe-vpc-endpoints.json`.
    VpcEndpoints { account: String, region: String },
    /// `accounts/ID/s3/acl/BUCKET.json`.
    BucketAcl { account: String, bucket: String },
    /// `accounts/ID/s3/ownership/BUCKET.json`.
    BucketOwnership { account: String, bucket: String },
    /// `organizations/sso/list-instances.json`.
    SsoInstances,
    /// `organizations/sso/permission-sets/ID.json`.
    PermissionSet,
    /// `organizations/sso/assignments/ACCOUNT.PS.json`.
    SsoAssignments,
    /// `organizations/sso/identitystore/list-users.json`.
    SsoUsers,
    /// `organizations/sso/identitystore/list-groups.json`.
    SsoGroups,
    /// `organizations/sso/identitystore/list-group-memberships/GROUP.json`.
    SsoMemberships { group: String },
    /// A file at no path of the layout: what it holds is told from its content (`detect`).
    ByContent,
}

/// A file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceFile {
    /// Path relative to the snapshot root, with `/` separators.
    pub(crate) relative: String,
    /// Full path.
    pub(crate) path: PathBuf,
    /// What it holds.
    pub(crate) kind: FileKind,
}

/// The files of a snapshot directory, and what was skipped.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Regular files (or links to them), by relative path, sorted.
    pub(crate) files: Vec<(String, PathBuf)>,
    /// A warning per entry that is not read: FIFOs, sockets, devices, broken links.
    pub(crate) warnings: Vec<String>,
}

/// What a file type that is neither a regular file nor a directory is, in words (`a FIFO`).
#[must_use]
pub fn special_kind(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "not a regular file"
}

/// Lists every regular file under `root`, sorted by relative path. Links are followed when they
/// stay inside `root` (or always, with `follow_links`); a link leaving it is an error, so that no
/// file is silently left out. Directories reached twice through links are listed once.
pub(crate) fn list_files(root: &Path, follow_links: bool) -> Result<Listing, IngestError> {
    let cannot = |at: &Path, error: std::io::Error| {
        IngestError::file(&at.display().to_string(), format!("cannot list: {error}"))
    };
    let canonical_root = std::fs::canonicalize(root).map_err(|error| cannot(root, error))?;
    let relative_of = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut listing = Listing::default();
    let mut visited = std::collections::BTreeSet::from([canonical_root.clone()]);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|error| cannot(&dir, error))? {
            let entry = entry.map_err(|error| cannot(&dir, error))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|error| cannot(&path, error))?;
            let relative = relative_of(&path);
            // AWS names are UTF-8: a name that is not cannot be stored or queried unaltered.
            if entry.file_name().to_str().is_none() {
                listing.warnings.push(format!(
                    "{relative}: a name that is not UTF-8 (shown altered), skipped"
                ));
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                listing.files.push((relative, path));
            } else if kind.is_symlink() {
                let Ok(target) = std::fs::canonicalize(&path) else {
                    listing
                        .warnings
                        .push(format!("{relative}: a link to a missing file, skipped"));
                    continue;
                };
                if !follow_links && !target.starts_with(&canonical_root) {
                    return Err(IngestError::file(
                        &relative,
                        format!(
                            "a link to `{}`, outside the snapshot directory: pass \
                             `--follow-links` to read it",
                            target.display()
                        ),
                    ));
                }
                let found = std::fs::metadata(&target).map_err(|error| cannot(&path, error))?;
                if found.is_file() {
                    listing.files.push((relative, path));
                } else if found.is_dir() {
                    if visited.insert(target) {
                        stack.push(path);
                    }
                } else {
                    listing.warnings.push(format!(
                        "{relative}: a link to {}, skipped",
                        special_kind(found.file_type())
                    ));
                }
            } else {
                listing
                    .warnings
                    .push(format!("{relative}: {}, skipped", special_kind(kind)));
            }
        }
    }
    listing.files.sort();
    listing.warnings.sort();
    Ok(listing)
}

/// Whether `text` looks like an AWS region (`us-east-1`, `eu-central-2`, `us-gov-west-1`).
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .iter()
            .rev()
            .skip(1)
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
}

fn stem(name: &str) -> Option<&str> {
    name.strip_suffix(".json")
}

/// Classifies a relative path; `None` for files the layout does not define.
pub(crate) fn classify(relative: &str) -> Option<FileKind> {
    let parts: Vec<&str> = relative.split('/').collect();
    match parts.as_slice() {
        ["snapshot.json"] => Some(FileKind::Manifest),
        ["organizations", rest @ ..] => classify_organizations(rest),
        ["accounts", account, rest @ ..] if accessgraph_policy::is_account_id(account) => {
            classify_account(account, rest)
        }
        _ => None,
    }
}

fn classify_organizations(rest: &[&str]) -> Option<FileKind> {
    match rest {
        ["describe-organization.json"] => Some(FileKind::Organization),
        ["list-roots.json"] => Some(FileKind::Roots),
        ["list-accounts.json"] => Some(FileKind::OrgAccounts),
        ["ous", file] => Some(FileKind::Ous {
            parent: stem(file)?.to_owned(),
        }),
        ["children", file] => Some(FileKind::Children {
            parent: stem(file)?.to_owned(),
        }),
        ["policies", file] => stem(file).map(|_| FileKind::OrgPolicy),
        ["targets", file] => Some(FileKind::Targets {
            policy_id: stem(file)?.to_owned(),
        }),
        ["sso", "list-instances.json"] => Some(FileKind::SsoInstances),
        ["sso", "permission-sets", file] => stem(file).map(|_| FileKind::PermissionSet),
        ["sso", "assignments", file] => stem(file).map(|_| FileKind::SsoAssignments),
        ["sso", "identitystore", "list-users.json"] => Some(FileKind::SsoUsers),
        ["sso", "identitystore", "list-groups.json"] => Some(FileKind::SsoGroups),
        ["sso", "identitystore", "list-group-memberships", file] => {
            Some(FileKind::SsoMemberships {
                group: stem(file)?.to_owned(),
            })
        }
        _ => None,
    }
}

fn classify_account(account: &str, rest: &[&str]) -> Option<FileKind> {
    let account = account.to_owned();
    match rest {
        ["iam", "get-account-authorization-details.json"] => {
            Some(FileKind::Authorization { account, page: 0 })
        }
        ["iam", file] if file.starts_with("get-account-authorization-details.") => {
            let page = stem(file)?
                .strip_prefix("get-account-authorization-details.")?
                .parse()
                .ok()?;
            Some(FileKind::Authorization { account, page })
        }
        ["iam", "list-saml-providers.json"] => Some(FileKind::SamlProviders { account }),
        ["iam", "list-open-id-connect-providers.json"] => Some(FileKind::OidcProviders { account }),
        ["s3", "_list-buckets.json"] => Some(FileKind::ListBuckets { account }),
        ["s3", "acl", file] => Some(FileKind::BucketAcl {
            account,
            bucket: stem(file)?.to_owned(),
        }),
        ["s3", "ownership", file] => Some(FileKind::BucketOwnership {
            account,
            bucket: stem(file)?.to_owned(),
        }),
        ["s3", file] => Some(FileKind::ResourcePolicy {
            account,
            region: String::new(),
            kind: ResourcePolicyKind::S3Bucket,
            name: stem(file)?.to_owned(),
        }),
        [region, "ec2", "describe-vpc-endpoints.json"] if is_region(region) => {
            Some(FileKind::VpcEndpoints {
                account,
                region: (*region).to_owned(),
            })
        }
        [region, service, file] if is_region(region) => {
            let kind = match *service {
                "lambda" => ResourcePolicyKind::LambdaFunction,
                "kms" => ResourcePolicyKind::KmsKey,
                "sqs" => ResourcePolicyKind::SqsQueue,
                "sns" => ResourcePolicyKind::SnsTopic,
                "secretsmanager" => ResourcePolicyKind::Secret,
                "apigateway" => ResourcePolicyKind::ApiGateway,
                "inventory" => return classify_inventory(account, region, file),
                _ => return None,
            };
            Some(FileKind::ResourcePolicy {
                account,
                region: (*region).to_owned(),
                kind,
                name: stem(file)?.to_owned(),
            })
        }
        _ => None,
    }
}

fn classify_inventory(account: String, region: &str, file: &str) -> Option<FileKind> {
    let service = match stem(file)? {
        "lambda-list-functions" => ComputeService::Lambda,
        "ec2-describe-instances" => ComputeService::Ec2Instance,
        "ec2-describe-launch-template-versions" => ComputeService::Ec2LaunchTemplate,
        "ssm-describe-instance-information" => ComputeService::SsmManagedInstance,
        "cloudformation-describe-stacks" => ComputeService::CloudFormation,
        "codebuild-batch-get-projects" => ComputeService::CodeBuild,
        "glue-get-dev-endpoints" => ComputeService::GlueDevEndpoint,
        "glue-get-jobs" => ComputeService::GlueJob,
        "sagemaker-notebook-instances" => ComputeService::SageMakerNotebook,
        "ecs-list-clusters" => ComputeService::EcsCluster,
        "apprunner-services" => ComputeService::AppRunner,
        "ecs-describe-task-definitions" => ComputeService::EcsTaskDefinition,
        "ecs-describe-tasks" => ComputeService::EcsExecTask,
        "batch-describe-job-definitions" => ComputeService::BatchJobDefinition,
        "stepfunctions-describe-state-machines" => ComputeService::StepFunctionsStateMachine,
        _ => return None,
    };
    Some(FileKind::Inventory {
        account,
        region: region.to_owned(),
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::{FileKind, classify, is_region};

    #[test]
    fn regions() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(is_region(region), "{region}");
        }
        for other in ["iam", "s3", "inventory", "us-east", "x-1"] {
            assert!(!is_region(other), "{other}");
        }
    }

    #[test]
    fn the_fuzz_names_cover_the_layout() {
        let (last, layout) = crate::FUZZ_FILE_NAMES.split_last().unwrap_or((&"", &[]));
        for name in layout {
            assert!(classify(name).is_some(), "{name}");
        }
        assert_eq!(classify(last), None);
    }

    #[test]
    fn layout() {
        assert_eq!(classify("snapshot.json"), Some(FileKind::Manifest));
        assert_eq!(
            classify("accounts/111122223333/iam/get-account-authorization-details.2.json"),
            Some(FileKind::Authorization {
                account: "111122223333".into(),
                page: 2
            })
        );
        assert_eq!(
            classify("organizations/ous/r-ab12.json"),
            Some(FileKind::Ous {
                parent: "r-ab12".into()
            })
        );
        assert!(matches!(
            classify("accounts/111122223333/us-east-1/kms/k.json"),
            Some(FileKind::ResourcePolicy { .. })
        ));
        assert!(matches!(
            classify("accounts/111122223333/eu-west-1/inventory/glue-get-jobs.json"),
            Some(FileKind::Inventory { .. })
        ));
        assert_eq!(
            classify("accounts/111122223333/s3/acl/b.json"),
            Some(FileKind::BucketAcl {
                account: "111122223333".into(),
                bucket: "b".into()
            })
        );
        assert!(matches!(
            classify("accounts/111122223333/us-east-1/apigateway/a1b2c3.json"),
            Some(FileKind::ResourcePolicy {
                kind: accessgraph_model::ResourcePolicyKind::ApiGateway,
                ..
            })
        ));
        assert_eq!(classify("accounts/notanaccount/iam/x.json"), None);
        assert_eq!(classify("README.md"), None);
    }
}
