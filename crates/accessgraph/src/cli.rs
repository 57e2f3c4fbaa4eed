//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Access-graph query database for AWS IAM and Organizations.
#[derive(Debug, Parser)]
#[command(name = "accessgraph", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Evaluate one request against policies, as AWS would (like `aws iam simulate-custom-policy`).
    Eval(Box<EvalArgs>),
    /// Snapshot a live AWS organization (or the caller's account) through the AWS SDK into a
    /// snapshot directory, optionally ingesting it (see docs/collect.md).
    Collect(CollectArgs),
    /// Read a snapshot directory (or one get-account-authorization-details file) into the store.
    Ingest(IngestArgs),
    /// List, show or delete stored snapshots.
    Snapshots(SnapshotsArgs),
    /// Ask a question of a snapshot in the query language (see docs/query-language.md).
    Query(QueryArgs),
    /// Compare two snapshot directories (or files) without a store: the paths gained and lost
    /// between them, as `diff 1 2 QUESTION` answers for stored snapshots.
    Diff(DiffArgs),
    /// Serve queries over gRPC (accessgraph.v1.AccessGraph, health, reflection); see docs/grpc.md.
    Serve(Box<ServeArgs>),
    /// Write a synthetic organization in the snapshot layout (for benchmarks and scale tests).
    Synth(SynthArgs),
}

/// Where the store is.
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// Store directory; default `$ACCESSGRAPH_DB`, else `~/.local/share/accessgraph/db`.
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) db: Option<PathBuf>,
}

/// The member role's default name (the collector's `DEFAULT_MEMBER_ROLE`; kept here so that the
/// command line is the same in builds without the collector).
pub(crate) const DEFAULT_MEMBER_ROLE: &str = "AccessGraphAudit";

#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    /// The snapshot directory to create (it must not exist).
    #[arg(long, value_name = "DIR", required_unless_present = "print_policy")]
    pub(crate) out: Option<PathBuf>,
    /// Print the IAM policy the collector needs (for the caller and the member role) and exit.
    #[arg(long, conflicts_with = "ingest")]
    pub(crate) print_policy: bool,
    /// A profile of the shared AWS configuration (IAM Identity Center profiles included);
    /// default: the standard credential chain.
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// The home region for Organizations, STS and IAM; default: the profile's or environment's.
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The role assumed in each member account (read-only; see docs/collect.md).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_MEMBER_ROLE)]
    pub(crate) member_role: String,
    /// The external id the member role's trust policy requires.
    #[arg(long, value_name = "ID")]
    pub(crate) external_id: Option<String>,
    /// Only these accounts of the organization (comma-separated ids).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub(crate) accounts: Option<Vec<String>>,
    /// Only the accounts under these OUs or roots, at any depth (comma-separated ids).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub(crate) ous: Option<Vec<String>>,
    /// The regions read for regional services (comma-separated); default: every region enabled
    /// in each account.
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub(crate) regions: Option<Vec<String>>,
    /// Skip the compute inventory (EC2, SSM, CloudFormation, CodeBuild, Glue, SageMaker, ECS,
    /// App Runner): escalation edges through existing resources then stay conditional.
    #[arg(long)]
    pub(crate) no_inventory: bool,
    /// Accounts read at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) concurrency: usize,
    /// Fail (exit 2) when any account or call could not be read.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Ingest the snapshot into the store once collected.
    #[arg(long)]
    pub(crate) ingest: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// A label for the ingested snapshot.
    #[arg(long, requires = "ingest")]
    pub(crate) label: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// A snapshot directory in the snapshot layout, or one get-account-authorization-details file.
    pub(crate) path: PathBuf,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// A label for the snapshot (e.g. the change window).
    #[arg(long)]
    pub(crate) label: Option<String>,
    /// Skip files that cannot be parsed, and list them, instead of failing the whole ingest.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// Store a snapshot even when it holds no account (by default an error).
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// Largest file read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub(crate) max_file_bytes: u64,
    /// Follow links that point outside the snapshot directory (by default an error naming the
    /// link; links inside it are always followed).
    #[arg(long)]
    pub(crate) follow_links: bool,
    /// The most memory the ingest may hold while it parses (e.g. `8G`, `512M`; K, M, G and T
    /// are powers of 1024): beyond it the ingest stops with an error naming the file instead of
    /// growing. Default: half of this machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_memory: Option<u64>,
    /// Store a new snapshot even when a stored one holds identical data (by default the ingest
    /// says `identical to snapshot N` and stores nothing).
    #[arg(long)]
    pub(crate) force: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The snapshot directory (or file) before the change.
    pub(crate) before: PathBuf,
    /// The snapshot directory (or file) after it.
    pub(crate) after: PathBuf,
    /// What to compare (default: who can reach an administrator anywhere in the organization),
    /// e.g. `who can reach admin in account 123456789012 definite only`.
    #[arg(trailing_var_arg = true)]
    pub(crate) question: Vec<String>,
    /// Follow links that point outside the snapshot directories.
    #[arg(long)]
    pub(crate) follow_links: bool,
    /// Also detect the privilege-escalation techniques defined in this directory's `*.toml`
    /// files (docs/edges.md, "Techniques as data").
    #[arg(long, value_name = "DIR")]
    pub(crate) techniques: Option<PathBuf>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub(crate) format: Option<QueryFormat>,
    /// Explain every row in the table: each hop's statements, its open conditions in words, its
    /// technique's requirements, and why an administrator is one (`--format json` holds the same
    /// evidence).
    #[arg(long)]
    pub(crate) explain: bool,
    /// Exit with code 1 when the change opened a path (a row gained), so a pipeline can fail
    /// it; 0 otherwise (2 on error).
    #[arg(long)]
    pub(crate) exit_code: bool,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The query, e.g. `who can reach admin in account 123456789012` (quote it, or give it as
    /// words). Without it, queries are read from standard input, one per line.
    #[arg(trailing_var_arg = true, allow_hyphen_values = false)]
    pub(crate) query: Vec<String>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Query a snapshot directory (AWS CLI output in the snapshot layout) read into memory,
    /// instead of a store; nothing is written.
    #[arg(long, value_name = "PATH", conflicts_with = "db")]
    pub(crate) snapshot: Option<PathBuf>,
    /// With `--snapshot`: follow links that point outside the snapshot directory.
    #[arg(long, requires = "snapshot")]
    pub(crate) follow_links: bool,
    /// The stored snapshot to query (default: the newest); a query's `at snapshot N` wins.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with = "snapshot")]
    pub(crate) at: Option<u64>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub(crate) format: Option<QueryFormat>,
    /// Explain every row in the table: each hop's statements, its open conditions in words, its
    /// technique's requirements, and why an administrator is one (`--format json` holds the same
    /// evidence).
    #[arg(long)]
    pub(crate) explain: bool,
    /// Exit with code 1 when an answer finds something (docs/query-language.md, "Exit codes"):
    /// a `diff` with a path gained, a `what cuts` with a principal reaching the targets, a
    /// `can ... do` not denied, any other answer with a row; 0 otherwise (2 on error).
    #[arg(long)]
    pub(crate) exit_code: bool,
    /// Ask a running server (`http://HOST:PORT`, or `https://` for TLS) instead of a local store.
    #[arg(long, value_name = "URL", conflicts_with_all = ["snapshot", "db", "techniques"])]
    pub(crate) server: Option<String>,
    /// Also detect the privilege-escalation techniques defined in this directory's `*.toml`
    /// files (docs/edges.md, "Techniques as data"); graphs built with them are not saved in the
    /// store. A server's techniques are set with `serve --techniques`.
    #[arg(long, value_name = "DIR")]
    pub(crate) techniques: Option<PathBuf>,
    /// File holding the bearer token for `--server`.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub(crate) token_file: Option<PathBuf>,
    /// CA certificate (PEM) to trust for the server's TLS certificate.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub(crate) ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires_all = ["server", "client_key"])]
    pub(crate) client_cert: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub(crate) client_key: Option<PathBuf>,
    /// Deadline of a remote query, in seconds; also how long to wait for a server that is still
    /// loading its snapshot (it answers UNAVAILABLE with a retry hint meanwhile).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        requires = "server"
    )]
    pub(crate) timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Address to listen on. A non-loopback address needs TLS (or `--insecure`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:50151")]
    pub(crate) listen: String,
    /// Also detect the privilege-escalation techniques defined in this directory's `*.toml`
    /// files (docs/edges.md, "Techniques as data"); graphs are then built at each start, not
    /// read from or saved in the store.
    #[arg(long, value_name = "DIR")]
    pub(crate) techniques: Option<PathBuf>,
    /// Server certificate chain (PEM) for TLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Server private key (PEM) for TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// CA (PEM) that client certificates must chain to: turns on mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) client_ca: Option<PathBuf>,
    /// File holding the read token (queries need it when given; without it reads are open).
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
    /// File holding the admin token (Ingest, SetActiveSnapshot, DeleteSnapshot; disabled without
    /// it).
    #[arg(long, value_name = "FILE")]
    pub(crate) admin_token_file: Option<PathBuf>,
    /// Accept plaintext on a non-loopback address.
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Do not listen on the store's local socket (`DIR/accessgraph.sock`, owner-only), through
    /// which `query`, `snapshots` and `ingest --db DIR` reach the store while the server holds it.
    #[arg(long)]
    pub(crate) no_local_socket: bool,
    /// Do not serve the web page (`http://ADDR/ui/`, with its JSON API under `/ui/api/`, on the
    /// same listener as gRPC and with the same tokens and limits).
    #[arg(long)]
    pub(crate) no_ui: bool,
    /// Longest a query may run, in seconds (a client's shorter deadline wins).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub(crate) max_query_time: u64,
    /// Most rows one answer returns.
    #[arg(long, value_name = "ROWS", default_value_t = 100_000)]
    pub(crate) max_rows: usize,
    /// Largest `max hops` a query may ask for.
    #[arg(long, value_name = "HOPS", default_value_t = 12)]
    pub(crate) max_hops: usize,
    /// Queries running at once (more wait for a slot until their deadline).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub(crate) max_concurrent: usize,
}

/// Output formats of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueryFormat {
    /// One line per answer row, with paths and account names, and a count.
    Table,
    /// The answer as JSON (one document per line when reading queries from standard input).
    Json,
    /// Graphviz DOT of the paths.
    Dot,
    /// Mermaid flowchart of the paths.
    Mermaid,
    /// SARIF 2.1.0 for GitHub code scanning: each path found (for `diff`, each path gained), or
    /// each change of a `what cuts` plan, as a result.
    Sarif,
}

impl QueryFormat {
    /// The name `--format` takes.
    pub(crate) fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotsArgs {
    #[command(subcommand)]
    pub(crate) action: SnapshotsAction,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub(crate) format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotsAction {
    /// List stored snapshots, oldest first.
    List,
    /// Show one snapshot's metadata, counts and warnings.
    Show {
        /// Snapshot id.
        id: u64,
    },
    /// Delete one snapshot and its files (its space is given back at once).
    Delete {
        /// Snapshot id.
        id: u64,
    },
    /// Delete every snapshot but the newest N (and their saved graphs).
    Prune {
        /// How many of the newest snapshots to keep (at least one).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        keep: u64,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SynthArgs {
    /// Number of accounts (at least 3).
    #[arg(long, default_value_t = 10)]
    pub(crate) accounts: usize,
    /// IAM principals (users and roles) per account.
    #[arg(long, default_value_t = 50)]
    pub(crate) principals: usize,
    /// Random seed; the same seed writes the same files.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Also write resources of every kind (bucket lists and ACLs, KMS keys, SQS queues, SNS
    /// topics, secrets), besides the bucket policy every account has.
    #[arg(long)]
    pub(crate) resources: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Identity policy file (inline or managed policy of the principal or its groups); repeatable.
    ///
    /// A file holds a policy document (object, JSON string or URL-encoded), or AWS CLI output
    /// that wraps one (`get-policy-version`, `describe-policy`, `get-bucket-policy`, ...).
    #[arg(long = "policy", value_name = "FILE")]
    pub(crate) policies: Vec<PathBuf>,

    /// Permissions boundary of the principal.
    #[arg(long, value_name = "FILE")]
    pub(crate) boundary: Option<PathBuf>,

    /// Session policy of the principal's session.
    #[arg(long = "session-policy", value_name = "FILE")]
    pub(crate) session_policy: Option<PathBuf>,

    /// SCP level of the principal's account, from the organization root down to the account;
    /// repeat once per level, and separate several policies of one level with commas.
    #[arg(long = "scp", value_name = "FILE[,FILE...]")]
    pub(crate) scps: Vec<String>,

    /// RCP level of the resource's account, root first; same form as `--scp`.
    #[arg(long = "rcp", value_name = "FILE[,FILE...]")]
    pub(crate) rcps: Vec<String>,

    /// Resource-based policy of the resource (a role's trust policy for `sts:AssumeRole`).
    #[arg(long = "resource-policy", value_name = "FILE")]
    pub(crate) resource_policy: Option<PathBuf>,

    /// Policy of the VPC endpoint the request goes through (the document, or one endpoint of
    /// `ec2 describe-vpc-endpoints`, which holds it as `PolicyDocument`): it must allow the
    /// request too, and its denies deny. Give the endpoint's id with `--context aws:SourceVpce=vpce-...` when policies test it.
    #[arg(long = "vpc-endpoint-policy", value_name = "FILE")]
    pub(crate) vpc_endpoint_policy: Option<PathBuf>,

    /// The caller: user, role, assumed-role, federated-user or root ARN, a service principal
    /// (`ec2.amazonaws.com`), an identity provider ARN, or `*` for an anonymous caller.
    #[arg(long, value_name = "ARN")]
    pub(crate) principal: String,

    /// Tag of the principal (`KEY=VALUE`); once any is given, the principal's tag set is known.
    #[arg(long = "principal-tag", value_name = "KEY=VALUE")]
    pub(crate) principal_tags: Vec<String>,

    /// Unique id of the principal (`AIDA...`, `AROA...`).
    #[arg(long = "principal-id", value_name = "ID")]
    pub(crate) principal_id: Option<String>,

    /// For a session principal, the entity it belongs to: the role ARN (with its path) of an
    /// assumed-role session, whose ARN carries no path (a role under `/aws-service-role/` is
    /// service-linked: SCPs do not apply), or the user ARN whose `GetFederationToken` created a
    /// federated user (a policy naming the user then names the session too).
    #[arg(long = "session-of", value_name = "ARN")]
    pub(crate) session_of: Option<String>,

    /// The action, e.g. `s3:GetObject`.
    #[arg(long)]
    pub(crate) action: String,

    /// The resource ARN (or `*`).
    #[arg(long, value_name = "ARN")]
    pub(crate) resource: String,

    /// Account that owns the resource; defaults to the ARN's account, else the principal's
    /// (S3 ARNs name no account).
    #[arg(long = "resource-account", value_name = "ID")]
    pub(crate) resource_account: Option<String>,

    /// Tag of the resource (`KEY=VALUE`); once any is given, the resource's tag set is known.
    #[arg(long = "resource-tag", value_name = "KEY=VALUE")]
    pub(crate) resource_tags: Vec<String>,

    /// A condition key value (`KEY=VALUE`); repeat a key to give it several values. Keys not
    /// given and not derived from the principal or resource are unknown: conditions on them
    /// make the decision conditional.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,

    /// A condition key known to be absent from the request.
    #[arg(long = "absent", value_name = "KEY")]
    pub(crate) absent: Vec<String>,

    /// The earliest time the request can be made (ISO 8601, or epoch seconds), e.g. when the
    /// policies were collected: `aws:CurrentTime`, `aws:EpochTime` and `aws:TokenIssueTime`, when
    /// not given with `--context`, are at or after it, so a grant that expired before it is no
    /// grant and a condition that holds ever after it is met.
    #[arg(long = "not-before", value_name = "TIME")]
    pub(crate) not_before: Option<String>,

    /// Reject policies AWS would reject (unknown elements or operators, ill-typed values).
    #[arg(long)]
    pub(crate) strict: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// A size such as `8G`, `512MiB` or `1048576` (K, M, G and T, with or without `i` and `B`, are
/// powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 8G, 512M or 1048576"))?;
    let unit = unit
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches('i');
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{text}`: unknown unit (use K, M, G or T)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        for (text, bytes) in [
            ("1048576", Ok(1 << 20)),
            ("512M", Ok(512 << 20)),
            ("8G", Ok(8 << 30)),
            ("8GiB", Ok(8 << 30)),
            ("2 gb", Ok(2 << 30)),
            ("1T", Ok(1 << 40)),
        ] {
            assert_eq!(parse_size(text), bytes, "{text}");
        }
        for bad in ["", "G", "8X", "-1", "99999999999999999999G", "1.5G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
