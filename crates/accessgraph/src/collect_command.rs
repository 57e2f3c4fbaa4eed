//! `accessgraph collect`: a live organization (or the caller's account) into a snapshot
//! directory through the AWS SDK, then optionally into the store.

use std::fmt::Write as _;

use accessgraph_collect::{CollectOptions, collect};
use anyhow::{Context as _, Result, bail};

use crate::cli::{CollectArgs, DbArgs, Format, IngestArgs};

/// Runs the command and returns what to print.
pub(crate) fn run(args: &CollectArgs) -> Result<String> {
    let options = CollectOptions {
        out: args.out.clone(),
        profile: args.profile.clone(),
        region: args.region.clone(),
        member_role: args.member_role.clone(),
        external_id: args.external_id.clone(),
        accounts: args.accounts.clone(),
        ous: args.ous.clone(),
        regions: args.regions.clone(),
        inventory: !args.no_inventory,
        concurrency: args.concurrency,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime
        .block_on(collect(&options))
        .context("cannot collect")?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "collected {} account{} into `{}` ({} files) in {:.1} s",
        summary.accounts.len(),
        if summary.accounts.len() == 1 { "" } else { "s" },
        args.out.display(),
        summary.files,
        summary.elapsed.as_secs_f64()
    );
    for warning in &summary.warnings {
        let _ = writeln!(out, "  warning: {warning}");
    }
    if !summary.incomplete.is_empty() {
        let _ = writeln!(
            out,
            "incomplete: {} (see `collector.incomplete` in snapshot.json)",
            summary
                .incomplete
                .iter()
                .map(|(account, gaps)| format!("{account} ({} gaps)", gaps.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if args.strict && !summary.warnings.is_empty() {
        bail!(
            "{out}--strict: {} part(s) could not be read",
            summary.warnings.len()
        );
    }
    if args.ingest {
        let ingest = IngestArgs {
            path: args.out.clone(),
            db: DbArgs {
                db: args.db.db.clone(),
            },
            label: args.label.clone(),
            skip_invalid: false,
            max_file_bytes: 1024 * 1024 * 1024,
            format: Format::Text,
        };
        out.push_str(&crate::ingest_command::run(&ingest)?);
    }
    Ok(out)
}
