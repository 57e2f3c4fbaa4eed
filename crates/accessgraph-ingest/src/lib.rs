//! Reads a snapshot — a directory of verbatim AWS CLI JSON outputs in the layout of the snapshot
//! format, or a single `get-account-authorization-details` file — into the normalized
//! [`accessgraph_model::Snapshot`].
//!
//! [`plan`] walks the directory and classifies every file; [`Plan::run`] parses the files in
//! parallel (rayon), each into a fragment, and merges the fragments in path order, so the result
//! does not depend on scheduling. Policy documents are parsed with `accessgraph-policy` (as
//! objects, JSON strings or URL-encoded strings), normalized and stored once by content hash.
//!
//! Errors name the file relative to the snapshot root and the JSON path of the bad value. By
//! default the first bad file fails the whole ingest; with `skip_invalid` bad files are skipped and
//! listed. This crate reads files but never writes: it does not know that a store exists.

#![warn(missing_docs)]

mod detect;
mod error;
mod fragment;
mod iam;
mod json;
mod merge;
mod organizations;
mod resources;
mod s3;
mod source;
mod sso;
mod stream;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accessgraph_model::{Gap, Snapshot};
use rayon::prelude::*;
use serde_json::Value;
pub use source::default_max_memory;

use self::detect::Detected;
pub use self::error::IngestError;
use self::fragment::{Documents, Fragment, Parsed};
use self::json::Node;
use self::resources::Location;
use self::source::Limits;
use self::stream::{Reading, Source, Streamed};
pub use self::walk::special_kind;
use self::walk::{FileKind, SourceFile};

/// How to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOptions {
    /// Skip files that cannot be parsed (and list them) instead of failing.
    pub skip_invalid: bool,
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Label of the snapshot.
    pub label: Option<String>,
    /// Accept a snapshot without any account (by default an error: nothing a query could find).
    pub allow_empty: bool,
    /// Follow links that leave the snapshot directory (by default an error naming the link).
    pub follow_links: bool,
    /// The most memory the process may hold while it parses, in bytes (`None`: no bound);
    /// checked as files are read, on Linux. By default half of the machine's memory.
    pub max_memory: Option<u64>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            skip_invalid: false,
            // The largest account authorization dumps seen run to a few hundred MiB.
            max_file_bytes: 1024 * 1024 * 1024,
            label: None,
            allow_empty: false,
            follow_links: false,
            max_memory: default_max_memory(),
        }
    }
}

/// The result of an ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The snapshot (id and ingest time are set by the store).
    pub snapshot: Snapshot,
    /// Files skipped because of errors (only with `skip_invalid`).
    pub skipped: Vec<IngestError>,
}

/// The files of a snapshot, classified, ready to parse.
#[derive(Debug, Clone)]
pub struct Plan {
    source: PathBuf,
    files: Vec<SourceFile>,
    /// Entries not read (FIFOs, sockets, devices, broken links), as warnings.
    unread: Vec<String>,
}

/// Lists and classifies the files of a snapshot directory, or takes a single file (read by its
/// content, like every file outside the layout). Links leaving the directory are an error unless
/// `follow_links`.
pub fn plan(path: &Path, follow_links: bool) -> Result<Plan, IngestError> {
    let display = path.display().to_string();
    let metadata = std::fs::metadata(path)
        .map_err(|error| IngestError::file(&display, format!("cannot read: {error}")))?;
    if !metadata.is_file() && !metadata.is_dir() {
        return Err(IngestError::file(
            &display,
            "not a regular file or a directory",
        ));
    }
    if metadata.is_file() {
        let relative = path
            .file_name()
            .map_or(display.clone(), |name| name.to_string_lossy().into_owned());
        return Ok(Plan {
            source: path.to_path_buf(),
            files: vec![SourceFile {
                relative,
                path: path.to_path_buf(),
                kind: FileKind::ByContent,
            }],
            unread: Vec::new(),
        });
    }
    let listing = walk::list_files(path, follow_links)?;
    let mut files = Vec::new();
    for (relative, full) in listing.files {
        if let Some(account) = relative
            .strip_prefix("accounts/")
            .and_then(|rest| rest.split('/').next())
        {
            if !accessgraph_policy::is_account_id(account) {
                return Err(IngestError::file(
                    &format!("accounts/{account}"),
                    "not a 12-digit account id: the layout is `accounts/ACCOUNT_ID/...`",
                ));
            }
        }
        let kind = walk::classify(&relative).unwrap_or(FileKind::ByContent);
        files.push(SourceFile {
            relative,
            path: full,
            kind,
        });
    }
    Ok(Plan {
        source: path.to_path_buf(),
        files,
        unread: listing.warnings,
    })
}

impl Plan {
    /// How many files will be parsed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is nothing to parse.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Parses every file (in parallel) and merges the results; `on_file` is called once per file.
    pub fn run(
        self,
        options: &IngestOptions,
        on_file: &(dyn Fn() + Sync),
    ) -> Result<Ingested, IngestError> {
        let manifest = self
            .files
            .iter()
            .find(|file| file.kind == FileKind::Manifest)
            .map(|file| read_json(file, options).and_then(|value| manifest(&file.relative, &value)))
            .transpose()?
            .unwrap_or_default();
        let partition = manifest
            .partition
            .clone()
            .unwrap_or_else(|| "aws".to_owned());
        let results: Vec<Result<Parsed, IngestError>> = self
            .files
            .par_iter()
            .filter(|file| file.kind != FileKind::Manifest)
            .map(|file| {
                let result = parse_file(file, options, &partition);
                on_file();
                result
            })
            .collect();
        let mut parsed = Vec::with_capacity(results.len());
        let mut skipped = Vec::new();
        let mut unrecognised = Vec::new();
        for result in results {
            match result {
                Ok(fragment) => {
                    if let Fragment::Unrecognised { file, .. } = &fragment.fragment {
                        unrecognised.push(file.clone());
                    }
                    parsed.push(fragment);
                }
                Err(error) if options.skip_invalid => skipped.push(error),
                Err(error) => return Err(error),
            }
        }
        let mut snapshot = merge::merge(
            parsed,
            merge::Context {
                source: self.source.display().to_string(),
                label: options.label.clone(),
                collected_at: manifest.collected_at.clone(),
                partition,
            },
        )?;
        if let Some(regions) = &manifest.regions {
            for account in &mut snapshot.accounts {
                account.regions = regions.of(&account.id);
            }
        }
        snapshot
            .warnings
            .extend(manifest.incomplete.iter().map(|(account, gaps)| {
                format!(
                    "account {account} was collected in part ({} call(s) refused): {}",
                    gaps.len(),
                    gaps.join("; ")
                )
            }));
        snapshot.warnings.extend(
            manifest
                .organization_gaps
                .iter()
                .map(|gap| format!("the organization was collected in part: {gap}")),
        );
        snapshot.warnings.extend(self.unread.iter().cloned());
        snapshot.warnings.extend(
            skipped
                .iter()
                .map(|error| format!("skipped invalid file: {error}")),
        );
        snapshot.gaps = gaps(&manifest, &skipped);
        snapshot.recount();
        if snapshot.accounts.is_empty() && !options.allow_empty {
            return Err(IngestError::file(
                ".",
                empty_message(&unrecognised, snapshot.organization.is_some()),
            ));
        }
        Ok(Ingested { snapshot, skipped })
    }
}

/// What the snapshot lacks: files skipped as invalid (of their account, when under
/// `accounts/ID/`) and what the collector could not read.
fn gaps(manifest: &Manifest, skipped: &[IngestError]) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = skipped
        .iter()
        .map(|error| {
            let file = error.file_path();
            let account = file
                .strip_prefix("accounts/")
                .and_then(|rest| rest.split('/').next())
                .filter(|account| accessgraph_policy::is_account_id(account))
                .map(str::to_owned);
            let mut why = error.message().to_owned();
            if why.chars().count() > 160 {
                why = why.chars().take(160).collect::<String>() + "...";
            }
            Gap {
                account,
                what: format!("lost `{file}`, skipped as invalid ({why})"),
            }
        })
        .collect();
    gaps.extend(manifest.incomplete.iter().map(|(account, calls)| Gap {
        account: Some(account.clone()),
        what: format!("was collected in part ({})", calls.join("; ")),
    }));
    gaps.extend(manifest.organization_gaps.iter().map(|gap| Gap {
        account: None,
        what: format!("was collected in part ({gap})"),
    }));
    gaps.sort();
    gaps.dedup();
    gaps
}

/// Why a snapshot without accounts is refused, with what was found instead.
fn empty_message(unknown: &[String], organization: bool) -> String {
    let mut message = String::from("no account found");
    if organization {
        message.push_str(" (Organizations files, but no `accounts/ACCOUNT_ID/` data)");
    }
    if !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(3).map(String::as_str).collect();
        message.push_str(&format!(
            "; {} file(s) are neither at a path of the snapshot layout nor recognised by their content ({}{})",
            unknown.len(),
            shown.join(", "),
            if unknown.len() > 3 { ", ..." } else { "" }
        ));
    }
    message.push_str(
        "; see docs/snapshot-layout.md, or pass --allow-empty to store an empty snapshot",
    );
    message
}

/// Ingests a snapshot directory or file.
pub fn ingest(path: &Path, options: &IngestOptions) -> Result<Ingested, IngestError> {
    plan(path, options.follow_links)?.run(options, &|| {})
}

#[derive(Debug, Default)]
struct Manifest {
    collected_at: Option<String>,
    partition: Option<String>,
    /// Accounts `accessgraph collect` read only in part, with what it could not read.
    incomplete: Vec<(String, Vec<String>)>,
    /// What it could not read of the organization (Identity Center).
    organization_gaps: Vec<String>,
    /// The regions collected.
    regions: Option<Collected>,
}

/// The regions whose regional outputs were collected: the same in every account, or per account.
#[derive(Debug)]
enum Collected {
    Everywhere(Vec<String>),
    ByAccount(BTreeMap<String, Vec<String>>),
}

impl Collected {
    /// The regions collected in `account`, sorted; `None` when not said.
    fn of(&self, account: &str) -> Option<Vec<String>> {
        let mut regions = match self {
            Collected::Everywhere(regions) => regions.clone(),
            Collected::ByAccount(accounts) => accounts.get(account)?.clone(),
        };
        regions.sort();
        regions.dedup();
        Some(regions)
    }
}

fn manifest(file: &str, value: &Value) -> Result<Manifest, IngestError> {
    let root = Node::root(file, value);
    let partition = root.opt_str("partition")?;
    if let Some(partition) = &partition {
        if !accessgraph_policy::is_partition(partition) {
            return Err(IngestError::at(
                file,
                "$.partition",
                format!("unknown partition `{partition}`"),
            ));
        }
    }
    // What `accessgraph collect` could not read.
    let (incomplete, organization_gaps) = root
        .with_field("collector", |collector| {
            let incomplete = collector.with_field("incomplete", |accounts| {
                accounts.members(|account, gaps| {
                    Ok((account.to_owned(), gaps.items(|gap| gap.string())?))
                })
            })?;
            let organization_gaps = collector.each("organization_gaps", |gap| gap.string())?;
            Ok((incomplete.unwrap_or_default(), organization_gaps))
        })?
        .unwrap_or_default();
    // A list for every account, or an object of lists by account.
    let regions = root.with_field("regions", |regions| {
        if regions.is_array() {
            return Ok(Collected::Everywhere(
                regions.items(|region| region.string())?,
            ));
        }
        let accounts = regions.members(|account, list| {
            Ok((account.to_owned(), list.items(|region| region.string())?))
        })?;
        Ok(Collected::ByAccount(accounts.into_iter().collect()))
    })?;
    Ok(Manifest {
        collected_at: root.opt_str("collected_at")?,
        partition,
        incomplete,
        organization_gaps,
        regions,
    })
}

/// A file to read within the size limit and the memory budget.
fn reading<'a>(file: &'a SourceFile, options: &IngestOptions) -> Result<Reading<'a>, IngestError> {
    let size = std::fs::metadata(&file.path)
        .map_err(|error| IngestError::file(&file.relative, format!("cannot read: {error}")))?
        .len();
    let max_bytes = options.max_file_bytes;
    if size > max_bytes {
        return Err(IngestError::file(
            &file.relative,
            format!("file is {size} bytes, more than the limit of {max_bytes}"),
        ));
    }
    Ok(Reading {
        name: &file.relative,
        source: Source::File(&file.path),
        limits: Limits::with_memory(options.max_memory),
    })
}

/// Reads and parses one JSON file within the limits.
fn read_json(file: &SourceFile, options: &IngestOptions) -> Result<Value, IngestError> {
    reading(file, options)?.value()
}

/// One path per kind of file of the layout, then a name outside it (read by content): the names
/// the `ingest_file` fuzz target gives its inputs, the first byte of an input choosing one.
pub const FUZZ_FILE_NAMES: &[&str] = &[
    "organizations/describe-organization.json",
    "organizations/list-roots.json",
    "organizations/list-accounts.json",
    "organizations/ous/r-ab12.json",
    "organizations/children/r-ab12.json",
    "organizations/policies/p-ab12cd34.json",
    "organizations/targets/p-ab12cd34.json",
    "organizations/sso/list-instances.json",
    "organizations/sso/permission-sets/ps-0123456789abcdef.json",
    "organizations/sso/assignments/111122223333.ps-0123456789abcdef.json",
    "organizations/sso/identitystore/list-users.json",
    "organizations/sso/identitystore/list-groups.json",
    "organizations/sso/identitystore/list-group-memberships/g-1.json",
    "accounts/111122223333/iam/get-account-authorization-details.json",
    "accounts/111122223333/iam/list-saml-providers.json",
    "accounts/111122223333/iam/list-open-id-connect-providers.json",
    "accounts/111122223333/s3/_list-buckets.json",
    "accounts/111122223333/s3/bucket.json",
    "accounts/111122223333/s3/acl/bucket.json",
    "accounts/111122223333/s3/ownership/bucket.json",
    "accounts/111122223333/us-east-1/lambda/function.json",
    "accounts/111122223333/us-east-1/kms/key-id.json",
    "accounts/111122223333/us-east-1/sqs/queue.json",
    "accounts/111122223333/us-east-1/sns/topic.json",
    "accounts/111122223333/us-east-1/secretsmanager/secret.json",
    "accounts/111122223333/us-east-1/apigateway/a1b2c3.json",
    "accounts/111122223333/us-east-1/ec2/describe-vpc-endpoints.json",
    "accounts/111122223333/us-east-1/inventory/lambda-list-functions.json",
    "accounts/111122223333/us-east-1/inventory/ec2-describe-instances.json",
    "accounts/111122223333/us-east-1/inventory/ec2-describe-launch-template-versions.json",
    "accounts/111122223333/us-east-1/inventory/ssm-describe-instance-information.json",
    "accounts/111122223333/us-east-1/inventory/cloudformation-describe-stacks.json",
    "accounts/111122223333/us-east-1/inventory/codebuild-batch-get-projects.json",
    "accounts/111122223333/us-east-1/inventory/glue-get-dev-endpoints.json",
    "accounts/111122223333/us-east-1/inventory/glue-get-jobs.json",
    "accounts/111122223333/us-east-1/inventory/sagemaker-notebook-instances.json",
    "accounts/111122223333/us-east-1/inventory/ecs-list-clusters.json",
    "accounts/111122223333/us-east-1/inventory/apprunner-services.json",
    "saved-output.json",
];

/// Ingests one AWS CLI output given as bytes, as the file `name` (a path of the layout, or any
/// other name: then recognised by its content), with no file system involved: the entry point
/// of the `ingest_file` fuzz target and of its corpus replay. Unlike [`ingest`], a snapshot
/// without accounts is accepted.
pub fn ingest_document(name: &str, bytes: &[u8]) -> Result<Ingested, IngestError> {
    let reading = Reading {
        name,
        source: Source::Bytes(bytes),
        limits: Limits::with_memory(None),
    };
    let kind = walk::classify(name).unwrap_or(FileKind::ByContent);
    lone(name, parse(reading, &kind, "aws")?)
}

/// A snapshot of one parsed file.
fn lone(name: &str, parsed: Parsed) -> Result<Ingested, IngestError> {
    let mut snapshot = merge::merge(
        vec![parsed],
        merge::Context {
            source: name.to_owned(),
            label: None,
            collected_at: None,
            partition: "aws".to_owned(),
        },
    )?;
    snapshot.recount();
    Ok(Ingested {
        snapshot,
        skipped: Vec::new(),
    })
}

/// Whether a file's first byte (after white space and a byte-order mark) opens a JSON object,
/// read without reading the rest: files outside the layout that are not JSON are skipped.
fn opens_object(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 512];
    let mut file = std::fs::File::open(path)?;
    let read = file.read(&mut head)?;
    let text = head.get(..read).unwrap_or_default();
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    Ok(text
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|byte| *byte == b'{'))
}

fn unrecognised(name: &str, why: &str) -> Parsed {
    Parsed {
        fragment: Fragment::Unrecognised {
            file: name.to_owned(),
            warning: format!("{name}: {why}; skipped"),
        },
        documents: Vec::new(),
        warnings: Vec::new(),
    }
}

fn parse_file(
    file: &SourceFile,
    options: &IngestOptions,
    partition: &str,
) -> Result<Parsed, IngestError> {
    if file.kind == FileKind::ByContent {
        let is_json = opens_object(&file.path)
            .map_err(|error| IngestError::file(&file.relative, format!("cannot read: {error}")))?;
        if !is_json {
            return Ok(unrecognised(
                &file.relative,
                "not at a path of the snapshot layout and not a JSON object",
            ));
        }
    }
    parse(reading(file, options)?, &file.kind, partition)
}

/// Parses a file of `kind`; a file read by its content is recognised first.
fn parse(reading: Reading<'_>, kind: &FileKind, partition: &str) -> Result<Parsed, IngestError> {
    let mut documents = Documents::default();
    let fragment = match kind {
        FileKind::Authorization { account, .. } => {
            match reading.stream(Some(account), &mut documents)? {
                Streamed::Authorization(fragment) => fragment,
                Streamed::Sample(_) => Fragment::Nothing,
            }
        }
        FileKind::ByContent => match reading.stream(None, &mut documents)? {
            Streamed::Authorization(fragment) => fragment,
            Streamed::Sample(sample) => {
                return match detect::detect(&Node::root(reading.name, &sample)) {
                    Detected::Kind(kind) => parse(reading, &kind, partition),
                    Detected::Unplaceable(hint) => Ok(unrecognised(reading.name, &hint)),
                    Detected::Unknown => Ok(unrecognised(
                        reading.name,
                        "not at a path of the snapshot layout, and not an AWS CLI output that \
                         accessgraph recognises by its content",
                    )),
                };
            }
        },
        kind => {
            let value = reading.value()?;
            parse_value(
                Node::root(reading.name, &value),
                kind,
                partition,
                &mut documents,
            )?
        }
    };
    Ok(Parsed {
        fragment,
        documents: documents.kept,
        warnings: documents.warnings,
    })
}

/// Parses a file's JSON as a file of `kind` (other than an authorization dump, which is streamed).
fn parse_value(
    root: Node<'_>,
    kind: &FileKind,
    partition: &str,
    documents: &mut Documents,
) -> Result<Fragment, IngestError> {
    Ok(match kind {
        FileKind::Manifest | FileKind::ByContent | FileKind::Authorization { .. } => {
            Fragment::Nothing
        }
        FileKind::Organization => organizations::organization(root)?,
        FileKind::Roots => organizations::roots(root)?,
        FileKind::OrgAccounts => organizations::accounts(root)?,
        FileKind::Ous { parent } => organizations::ous(root, parent)?,
        FileKind::Children { parent } => organizations::children(root, parent)?,
        FileKind::OrgPolicy => organizations::policy(root, documents)?.unwrap_or(Fragment::Nothing),
        FileKind::Targets { policy_id } => organizations::targets(root, policy_id)?,
        FileKind::BucketAcl { account, bucket } => s3::acl(root, account, bucket)?,
        FileKind::BucketOwnership { account, bucket } => s3::ownership(root, account, bucket)?,
        FileKind::SsoInstances => sso::instances(root)?,
        FileKind::PermissionSet => sso::permission_set(root)?,
        FileKind::SsoAssignments => sso::assignments(root)?,
        FileKind::SsoUsers => sso::users(root)?,
        FileKind::SsoGroups => sso::groups(root)?,
        FileKind::SsoMemberships { group } => sso::memberships(root, group)?,
        FileKind::SamlProviders { account } => Fragment::SamlProviders {
            account: account.clone(),
            arns: iam::providers(root, "SAMLProviderList")?,
        },
        FileKind::OidcProviders { account } => Fragment::OidcProviders {
            account: account.clone(),
            arns: iam::providers(root, "OpenIDConnectProviderList")?,
        },
        FileKind::ListBuckets { account } => resources::list_buckets(root, account)?,
        FileKind::VpcEndpoints { account, region } => resources::vpc_endpoints(
            root,
            Location {
                partition,
                account,
                region,
            },
            documents,
        )?,
        FileKind::ResourcePolicy {
            account,
            region,
            kind,
            name,
        } => {
            let at = Location {
                partition,
                account,
                region,
            };
            resources::resource_policy(root, at, *kind, name, documents)?
        }
        FileKind::Inventory {
            account,
            region,
            service,
        } => resources::inventory(
            root,
            Location {
                partition,
                account,
                region,
            },
            *service,
        )?,
    })
}
