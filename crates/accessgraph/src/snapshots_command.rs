//! `accessgraph snapshots list|show|delete` and `accessgraph synth`.

use std::fmt::Write as _;

use accessgraph_model::{SnapshotId, SnapshotMeta};
use accessgraph_store::Store;
use anyhow::{Context as _, Result, anyhow};

use crate::cli::{DbArgs, Format, SnapshotsAction, SnapshotsArgs, SynthArgs};
use crate::front_door::FrontDoor;
use crate::ingest_command::counts_line;

/// Opens the store named by `--db`, `$ACCESSGRAPH_DB` or the XDG default.
pub(crate) fn open_store(db: &DbArgs) -> Result<Store> {
    let path = store_path(db)?;
    Store::open(&path).with_context(|| format!("cannot open the store at `{}`", path.display()))
}

/// Opens the store of `--db` (or the default) for reading: no store there is an error, never a
/// new empty one.
pub(crate) fn open_existing_store(db: &DbArgs) -> Result<Store> {
    let path = store_path(db)?;
    Ok(Store::open_existing(&path)?)
}

/// Where `--db`, `$ACCESSGRAPH_DB` or the XDG default puts the store.
pub(crate) fn store_path(db: &DbArgs) -> Result<std::path::PathBuf> {
    db.db
        .clone()
        .or_else(Store::default_location)
        .ok_or_else(|| anyhow!("no store location: pass `--db DIR` or set `ACCESSGRAPH_DB`"))
}

/// Runs `snapshots ...`: through the server holding the store if one runs, else on the store.
pub(crate) fn run(args: &SnapshotsArgs) -> Result<String> {
    if let Some(mut door) = FrontDoor::open(&args.db, Some(FrontDoor::CALL_TIMEOUT))? {
        return match args.action {
            SnapshotsAction::List => list(&door.snapshots()?, args.format),
            SnapshotsAction::Show { id } => {
                let shown = door.snapshot(id)?;
                show(&shown, args.format)
            }
            SnapshotsAction::Delete { id } => {
                door.delete(id)?;
                Ok(format!("deleted snapshot {id}\n"))
            }
            SnapshotsAction::Prune { keep } => {
                let doomed = pruned(&door.snapshots()?, keep);
                for id in &doomed {
                    door.delete(*id)?;
                }
                Ok(pruned_line(&doomed, keep))
            }
        };
    }
    let store = open_existing_store(&args.db)?;
    match args.action {
        SnapshotsAction::List => list(&store.list()?, args.format),
        SnapshotsAction::Show { id } => {
            let snapshot = store.load(SnapshotId(id))?;
            let shown = Shown {
                organization: snapshot
                    .organization
                    .as_ref()
                    .map(|org| (org.id.clone(), org.management_account_id.clone())),
                meta: snapshot.meta,
                warnings: snapshot.warnings,
            };
            show(&shown, args.format)
        }
        SnapshotsAction::Delete { id } => {
            store.delete(SnapshotId(id))?;
            Ok(format!("deleted snapshot {id}\n"))
        }
        SnapshotsAction::Prune { keep } => {
            let doomed = pruned(&store.list()?, keep);
            for id in &doomed {
                store.delete(SnapshotId(*id))?;
            }
            Ok(pruned_line(&doomed, keep))
        }
    }
}

/// The snapshots `prune --keep N` deletes: all but the `keep` newest.
fn pruned(snapshots: &[SnapshotMeta], keep: u64) -> Vec<u64> {
    let mut ids: Vec<u64> = snapshots.iter().map(|meta| meta.id.0).collect();
    ids.sort_unstable();
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    ids.truncate(ids.len().saturating_sub(keep));
    ids
}

fn pruned_line(deleted: &[u64], keep: u64) -> String {
    if deleted.is_empty() {
        return format!("nothing to prune: the store holds at most {keep} snapshot(s)\n");
    }
    let ids: Vec<String> = deleted.iter().map(ToString::to_string).collect();
    format!(
        "deleted snapshot(s) {} (kept the newest {keep})\n",
        ids.join(", ")
    )
}

/// What `snapshots show` prints of a snapshot.
pub(crate) struct Shown {
    pub(crate) meta: SnapshotMeta,
    /// The organization's id and management account.
    pub(crate) organization: Option<(String, String)>,
    pub(crate) warnings: Vec<String>,
}

fn list(snapshots: &[SnapshotMeta], format: Format) -> Result<String> {
    if format == Format::Json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&snapshots)?));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<20}  {:<20}  {:>8}  {:>9}  SOURCE",
        "ID", "LABEL", "INGESTED", "ACCOUNTS", "PRINCIPALS"
    );
    for meta in snapshots {
        let _ = writeln!(
            out,
            "{:>4}  {:<20}  {:<20}  {:>8}  {:>9}  {}",
            meta.id.0,
            meta.label.as_deref().unwrap_or("-"),
            meta.ingested_at,
            meta.counts.accounts,
            meta.counts.users + meta.counts.roles,
            meta.source
        );
    }
    let _ = writeln!(out, "{} snapshot(s)", snapshots.len());
    Ok(out)
}

fn show(shown: &Shown, format: Format) -> Result<String> {
    let meta = &shown.meta;
    if format == Format::Json {
        let json = serde_json::json!({"snapshot": meta, "warnings": shown.warnings});
        return Ok(format!("{}\n", serde_json::to_string_pretty(&json)?));
    }
    let mut out = String::new();
    let _ = writeln!(out, "snapshot {}", meta.id);
    let _ = writeln!(
        out,
        "  label:        {}",
        meta.label.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "  source:       {}", meta.source);
    let _ = writeln!(
        out,
        "  collected at: {}",
        meta.collected_at.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "  ingested at:  {}", meta.ingested_at);
    let _ = writeln!(out, "  partition:    {}", meta.partition);
    if let Some((id, management)) = &shown.organization {
        let _ = writeln!(
            out,
            "  organization: {id} (management account {management})"
        );
    }
    let _ = writeln!(out, "  {}", counts_line(&meta.counts));
    for warning in &shown.warnings {
        let _ = writeln!(out, "  warning: {warning}");
    }
    Ok(out)
}

/// Runs `synth`.
pub(crate) fn synth(args: &SynthArgs) -> Result<String> {
    let config = accessgraph_synth::SynthConfig {
        accounts: args.accounts,
        principals: args.principals,
        seed: args.seed,
        resources: args.resources,
    };
    let summary = accessgraph_synth::generate(&config, &args.out)
        .with_context(|| format!("cannot write the organization to `{}`", args.out.display()))?;
    Ok(format!(
        "wrote {} accounts, {} users, {} roles ({} files) to `{}`\n",
        summary.accounts,
        summary.users,
        summary.roles,
        summary.files,
        args.out.display()
    ))
}
