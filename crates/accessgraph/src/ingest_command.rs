//! `accessgraph ingest`: a snapshot directory into the store, with a progress bar on a terminal.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::time::Instant;

use accessgraph_ingest::IngestOptions;
use accessgraph_model::{Counts, SnapshotMeta};
use accessgraph_proto::v1 as pb;
use accessgraph_server::convert::meta_from_info;
use accessgraph_store::Store;
use anyhow::{Context as _, Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Format, IngestArgs};
use crate::front_door::FrontDoor;
use crate::snapshots_command::{open_store, store_path};

/// Runs the command and returns what to print. A store this command created is removed again
/// when the ingest fails: a failed first ingest leaves nothing behind.
pub(crate) fn run(args: &IngestArgs) -> Result<String> {
    let started = Instant::now();
    if let Some(mut door) = FrontDoor::open(&args.db, None)? {
        return ingest_through(&mut door, args, started);
    }
    let path = store_path(&args.db)?;
    let created = !path.exists();
    // Open the store first: a locked or unknown store fails before minutes of parsing.
    let store = open_store(&args.db)?;
    let outcome = ingest_into(&store, args, started);
    if outcome.is_err() && created {
        drop(store);
        let _ = std::fs::remove_dir_all(&path);
    }
    outcome
}

/// Ingests through the server holding the store: it reads the directory (it runs as the same user
/// on the same machine), stores the snapshot and serves it.
fn ingest_through(door: &mut FrontDoor, args: &IngestArgs, started: Instant) -> Result<String> {
    let path = std::path::absolute(&args.path)
        .with_context(|| format!("cannot ingest `{}`", args.path.display()))?;
    let response = door.ingest(pb::IngestRequest {
        path: path.display().to_string(),
        label: args.label.clone(),
        skip_invalid: args.skip_invalid,
        allow_empty: args.allow_empty,
        max_file_bytes: Some(args.max_file_bytes),
        follow_links: args.follow_links,
        max_memory: args.max_memory,
        force: args.force,
    })?;
    let meta = response
        .snapshot
        .as_ref()
        .map(meta_from_info)
        .ok_or_else(|| anyhow!("the server sent no snapshot"))?;
    report(
        args.format,
        &Stored {
            meta: &meta,
            identical: response.identical,
        },
        &response.skipped,
        response.warnings,
        started,
    )
}

fn ingest_into(store: &Store, args: &IngestArgs, started: Instant) -> Result<String> {
    let plan = accessgraph_ingest::plan(&args.path, args.follow_links).context("cannot ingest")?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(plan.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} parsing {pos}/{len} files [{bar:30}] {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let options = IngestOptions {
        skip_invalid: args.skip_invalid,
        max_file_bytes: args.max_file_bytes,
        label: args.label.clone(),
        allow_empty: args.allow_empty,
        follow_links: args.follow_links,
        max_memory: args
            .max_memory
            .or_else(accessgraph_ingest::default_max_memory),
    };
    let result = plan.run(&options, &|| bar.inc(1));
    bar.finish_and_clear();
    let ingested = result.context("cannot ingest")?;
    let put = store
        .put_new(&ingested.snapshot, args.force)
        .context("cannot store the snapshot")?;
    let (meta, identical) = (put.meta().clone(), put.is_identical());
    let skipped: Vec<String> = ingested.skipped.iter().map(ToString::to_string).collect();
    report(
        args.format,
        &Stored {
            meta: &meta,
            identical,
        },
        &skipped,
        ingested.snapshot.warnings,
        started,
    )
}

/// The snapshot an ingest stored, or the stored one that holds the same data.
struct Stored<'a> {
    meta: &'a SnapshotMeta,
    /// Nothing was stored: `meta` is the identical snapshot.
    identical: bool,
}

/// What `ingest` prints: the stored snapshot (or the identical one), the files skipped and the
/// warnings (a skipped file's own warning is not repeated).
fn report(
    format: Format,
    stored: &Stored<'_>,
    skipped: &[String],
    warnings: Vec<String>,
    started: Instant,
) -> Result<String> {
    let warnings: Vec<String> = warnings
        .into_iter()
        .filter(|warning| !warning.starts_with("skipped invalid file"))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let meta = stored.meta;
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "snapshot": meta,
                "identical": stored.identical,
                "warnings": warnings,
                "skipped": skipped,
                "elapsed_seconds": elapsed,
            });
            Ok(format!("{}\n", serde_json::to_string_pretty(&json)?))
        }
        Format::Text => {
            let mut out = String::new();
            let label = meta
                .label
                .as_deref()
                .map(|label| format!(" `{label}`"))
                .unwrap_or_default();
            if stored.identical {
                let _ = writeln!(
                    out,
                    "identical to snapshot {}{label} (ingested {} from `{}`): nothing stored \
                     (--force stores it again)",
                    meta.id, meta.ingested_at, meta.source
                );
            } else {
                let _ = writeln!(
                    out,
                    "ingested snapshot {}{label} from `{}` in {elapsed:.2} s",
                    meta.id, meta.source
                );
            }
            let _ = writeln!(out, "  {}", counts_line(&meta.counts));
            for error in skipped {
                let _ = writeln!(out, "  skipped: {error}");
            }
            for warning in &warnings {
                let _ = writeln!(out, "  warning: {warning}");
            }
            Ok(out)
        }
    }
}

/// One line with every count.
pub(crate) fn counts_line(counts: &Counts) -> String {
    format!(
        "accounts {}, OUs {}, users {}, groups {}, roles {}, managed policies {}, documents {}, SCPs {}, RCPs {}, resource policies {}, compute resources {}, warnings {}",
        counts.accounts,
        counts.ous,
        counts.users,
        counts.groups,
        counts.roles,
        counts.managed_policies,
        counts.documents,
        counts.scps,
        counts.rcps,
        counts.resource_policies,
        counts.compute_resources,
        counts.warnings
    )
}
