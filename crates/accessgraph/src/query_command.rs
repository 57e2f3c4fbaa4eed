//! `accessgraph query`: questions in the query language, from the argument or standard input.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use accessgraph_db::{StoreCatalog, Techniques, directory_catalog};
use accessgraph_query::{Catalog, CatalogError, Format, View, render, run};
use anyhow::{Result, anyhow};

use crate::cli::{DiffArgs, QueryArgs, QueryFormat};
use crate::front_door::FrontDoor;
use crate::snapshots_command::open_existing_store;

/// A catalog whose default snapshot is `--at`.
struct DefaultAt<'c> {
    inner: &'c dyn Catalog,
    at: Option<u64>,
}

impl Catalog for DefaultAt<'_> {
    fn view(&self, id: Option<u64>) -> Result<Arc<View>, CatalogError> {
        self.inner.view(id.or(self.at))
    }
}

pub(crate) fn format(args: &QueryArgs) -> Result<Format> {
    format_of(args.format, args.explain)
}

/// The output format chosen, or the default: a table on a terminal, JSON otherwise; with
/// `--explain`, the explained table.
fn format_of(choice: Option<QueryFormat>, explain: bool) -> Result<Format> {
    Ok(match choice {
        None | Some(QueryFormat::Table) if explain => Format::Explained,
        Some(other) if explain => {
            return Err(anyhow!(
                "--explain explains the table form, not --format {}: the JSON form already holds \
                 every hop's statements, conditions and requirements",
                other.name()
            ));
        }
        Some(QueryFormat::Table) => Format::Table,
        Some(QueryFormat::Json) => Format::Json,
        Some(QueryFormat::Dot) => Format::Dot,
        Some(QueryFormat::Mermaid) => Format::Mermaid,
        Some(QueryFormat::Sarif) => Format::Sarif,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    })
}

/// The built-in techniques, and those of `--techniques DIR`.
pub(crate) fn techniques(dir: Option<&Path>) -> Result<Techniques> {
    match dir {
        None => Ok(Techniques::builtin()),
        Some(dir) => Techniques::with_dir(dir).map_err(|error| anyhow!("--techniques: {error}")),
    }
}

/// What `query` and `diff` print, and whether an answer found something (`--exit-code`).
#[derive(Debug, Default)]
pub(crate) struct Printed {
    /// The output.
    pub(crate) text: String,
    /// Whether an answer found something (see `accessgraph_query::Answer::finds`).
    pub(crate) found: bool,
}

/// Runs `query`.
pub(crate) fn run_command(args: &QueryArgs) -> Result<Printed> {
    // A format `--explain` cannot explain, or techniques that do not load, fail before anything
    // is read.
    format(args)?;
    let techniques = techniques(args.techniques.as_deref())?;
    if args.server.is_some() {
        return crate::remote::run(args);
    }
    // A running server answers with its own techniques: with `--techniques`, answer here.
    if args.snapshot.is_none() && techniques.is_builtin() {
        let timeout = Duration::from_secs(args.timeout.max(1));
        if let Some(mut door) = FrontDoor::open(&args.db, Some(timeout))? {
            // As without a server: `--at`, else the store's newest snapshot (not the one the
            // server was told to serve).
            let known: Vec<u64> = door.snapshots()?.iter().map(|meta| meta.id.0).collect();
            let at = match args.at {
                Some(at) if !known.contains(&at) => {
                    let error = CatalogError::Unknown { id: at, known };
                    return Err(anyhow!("--at {at}: {error}"));
                }
                Some(at) => at,
                None => *known
                    .iter()
                    .max()
                    .ok_or_else(|| anyhow!("{}", CatalogError::Empty))?,
            };
            let (runtime, client) = door.parts();
            return crate::remote::answer_remotely(args, Some(at), runtime, client);
        }
    }
    let catalog: Box<dyn Catalog> = match &args.snapshot {
        Some(path) => {
            let catalog = directory_catalog(&[path], args.follow_links, techniques)?;
            // What the ingest met (skipped files, unplaceable outputs, ...), as `ingest` prints it.
            let snapshot = catalog
                .view(None)
                .ok()
                .and_then(|view| view.snapshot().ok());
            for warning in snapshot.iter().flat_map(|snapshot| &snapshot.warnings) {
                eprintln!("warning: {warning}");
            }
            Box::new(catalog)
        }
        None => {
            Box::new(StoreCatalog::new(open_existing_store(&args.db)?).with_techniques(techniques))
        }
    };
    if let Some(at) = args.at {
        catalog
            .view(Some(at))
            .map_err(|error| anyhow!("--at {at}: {error}"))?;
    }
    let catalog = DefaultAt {
        inner: catalog.as_ref(),
        at: args.at,
    };
    answer_all(args, |text| {
        run(text, &catalog).map_err(|error| error.render(text))
    })
}

/// Answers the query of the arguments, or each query of standard input, with `ask` (which gives
/// an answer or an error as it should be shown).
pub(crate) fn answer_all(
    args: &QueryArgs,
    mut ask: impl FnMut(&str) -> Result<accessgraph_query::Answer, String>,
) -> Result<Printed> {
    let format = format(args)?;
    if !args.query.is_empty() {
        let text = args.query.join(" ");
        let answer = ask(&text)
            .map_err(|error| anyhow!("{}", error.trim_start_matches("error: ").to_owned()))?;
        let mut out = render(&answer, format, true);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        return Ok(Printed {
            text: out,
            found: answer.finds(),
        });
    }
    let mut found = false;
    // One query per line; blank lines and `#` comments are skipped. Each answer is printed as it
    // comes; errors go to standard error and the run fails at the end.
    let mut failures = 0usize;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match ask(text) {
            Ok(answer) => {
                found |= answer.finds();
                let mut out = render(&answer, format, false);
                if matches!(format, Format::Table | Format::Explained) {
                    out = format!("> {text}\n{out}");
                }
                // Answers stream as they come; a reader that stopped (`| head`) ends the run.
                let written = writeln!(std::io::stdout().lock(), "{}", out.trim_end());
                if written.is_err() {
                    return Ok(Printed::default());
                }
            }
            Err(error) => {
                failures += 1;
                // In JSON, an error line keeps the answers aligned with the queries.
                if format == Format::Json {
                    let line = serde_json::json!({"query": text, "error": {"message": error}});
                    if writeln!(std::io::stdout().lock(), "{line}").is_err() {
                        return Ok(Printed::default());
                    }
                }
                #[expect(clippy::print_stderr, reason = "errors stream as they come")]
                {
                    eprintln!("{error}");
                }
            }
        }
    }
    if failures > 0 {
        return Err(anyhow!(
            "{failures} quer{} failed",
            if failures == 1 { "y" } else { "ies" }
        ));
    }
    Ok(Printed {
        text: String::new(),
        found,
    })
}

/// Runs `diff BEFORE AFTER [QUESTION]`: both directories read into memory as snapshots 1 and 2,
/// then `diff 1 2 QUESTION` (the same answer as for stored snapshots).
pub(crate) fn diff(args: &DiffArgs) -> Result<Printed> {
    let format = format_of(args.format, args.explain)?;
    let techniques = techniques(args.techniques.as_deref())?;
    let paths = [args.before.as_path(), args.after.as_path()];
    let catalog = directory_catalog(&paths, args.follow_links, techniques)?;
    let question = args.question.join(" ");
    let text = format!("diff 1 2 {question}");
    let answer = run(text.trim_end(), &catalog).map_err(|error| {
        let rendered = error.render(text.trim_end());
        anyhow!("{}", rendered.trim_start_matches("error: ").to_owned())
    })?;
    let mut out = render(&answer, format, true);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(Printed {
        text: out,
        found: answer.finds(),
    })
}
