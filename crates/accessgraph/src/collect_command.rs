//! `accessgraph collect`: a live organization (or the caller's account) into a snapshot
//! directory through the AWS SDK, then optionally into the store (the `collect` feature;
//! `no_collector.rs` stands in without it).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};

use accessgraph_collect::{CollectOptions, Progress, Silent, collect};
use anyhow::{Context as _, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::cli::{CollectArgs, DbArgs, Format, IngestArgs};

/// Runs the command and returns what to print.
pub(crate) fn run(args: &CollectArgs) -> Result<String> {
    let target = match (&args.out, args.print_policy) {
        (_, true) => return Ok(accessgraph_collect::COLLECTOR_POLICY.to_owned()),
        (Some(target), false) => target.clone(),
        (None, false) => bail!("--out DIR is required"),
    };
    let options = CollectOptions {
        out: target.clone(),
        profile: args.profile.clone(),
        region: args.region.clone(),
        member_role: args.member_role.clone(),
        external_id: args.external_id.clone(),
        accounts: args.accounts.clone(),
        ous: args.ous.clone(),
        regions: args.regions.clone(),
        inventory: !args.no_inventory,
        concurrency: args.concurrency,
        strict: args.strict,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() {
        Arc::new(Bars::default())
    } else {
        Arc::new(Silent)
    };
    let summary = runtime
        .block_on(collect(&options, progress))
        .context("cannot collect")?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "collected {} account{} into `{}` ({} files, {} calls) in {:.1} s",
        summary.accounts.len(),
        if summary.accounts.len() == 1 { "" } else { "s" },
        target.display(),
        summary.files,
        summary.calls,
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
    if args.ingest {
        let ingest = IngestArgs {
            path: target,
            db: DbArgs {
                db: args.db.db.clone(),
            },
            label: args.label.clone(),
            skip_invalid: false,
            allow_empty: false,
            max_file_bytes: 1024 * 1024 * 1024,
            follow_links: false,
            max_memory: None,
            force: false,
            format: Format::Text,
        };
        out.push_str(&crate::ingest_command::run(&ingest)?);
    }
    Ok(out)
}

/// Progress on a terminal: one bar for the accounts, one line per account being read.
#[derive(Default)]
struct Bars {
    all: MultiProgress,
    total: Mutex<Option<ProgressBar>>,
    accounts: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn accounts(&self, total: usize) {
        let bar = self.all.add(ProgressBar::new(total as u64));
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} accounts {pos}/{len} [{bar:30}] {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut slot) = self.total.lock() {
            *slot = Some(bar);
        }
    }

    fn step(&self, account: &str, what: &str) {
        let Ok(mut accounts) = self.accounts.lock() else {
            return;
        };
        let line = accounts.entry(account.to_owned()).or_insert_with(|| {
            let line = self.all.add(ProgressBar::new_spinner());
            if let Ok(style) = ProgressStyle::with_template("  {prefix} {msg}") {
                line.set_style(style);
            }
            line.set_prefix(account.to_owned());
            line
        });
        line.set_message(what.to_owned());
    }

    fn finished(&self, account: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            if let Some(line) = accounts.remove(account) {
                line.finish_and_clear();
                self.all.remove(&line);
            }
        }
        if let Ok(total) = self.total.lock() {
            if let Some(bar) = total.as_ref() {
                bar.inc(1);
                if bar.position() >= bar.length().unwrap_or(0) {
                    bar.finish_and_clear();
                }
            }
        }
    }
}
