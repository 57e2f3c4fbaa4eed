//! Golden tests of the query language on the example organization: every file
//! `tests/data/queries/NAME.query` holds one query; `NAME.table` and `NAME.json` hold its answer
//! in both formats, or `NAME.error` the error as the command line shows it; `NAME.dot` and
//! `NAME.mermaid`, where present, its pictures; `NAME.explained` and `NAME.sarif` its explained
//! table and its SARIF log.
//!
//! Snapshot 2 is `examples/org`; snapshot 1 is the same organization before the `sandbox-deny-iam`
//! SCP existed, so `diff` has changes to report. Run with `UPDATE_GOLDEN=1` to rewrite the
//! expected files after a deliberate change, then review the diff.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_query::{Format, MemoryCatalog, View, render, run};

use crate::ingest::data;

/// The example org without the sandbox SCP, in a temporary directory.
pub(crate) fn before_sandbox_scp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::ingest_errors::copy_dir(&data("../examples/org"), dir.path());
    for file in [
        "organizations/policies/p-sandboxiam1.json",
        "organizations/targets/p-sandboxiam1.json",
    ] {
        std::fs::remove_file(dir.path().join(file)).unwrap();
    }
    dir
}

pub(crate) fn catalog() -> &'static MemoryCatalog {
    static CATALOG: OnceLock<MemoryCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let before = before_sandbox_scp();
        let view = |id, label: &str, path: &Path| {
            let snapshot = ingest(path, &IngestOptions::default()).unwrap().snapshot;
            Arc::new(View::from_snapshot(
                id,
                Some(label.to_owned()),
                Arc::new(snapshot),
            ))
        };
        MemoryCatalog::new(vec![
            view(1, "before-sandbox-scp", before.path()),
            view(2, "examples/org", &data("../examples/org")),
        ])
    })
}

fn queries() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data("data/queries"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "query"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the expected file, or rewrites it under `UPDATE_GOLDEN`.
fn check(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
}

#[test]
fn every_query_answers_as_its_golden_files_say() {
    let files = queries();
    assert!(files.len() >= 30, "golden queries missing");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let text = text.trim();
        match run(text, catalog()) {
            Ok(answer) => {
                check(
                    &file.with_extension("table"),
                    &render(&answer, Format::Table, true),
                    &mut failures,
                );
                check(
                    &file.with_extension("json"),
                    &format!("{}\n", render(&answer, Format::Json, true)),
                    &mut failures,
                );
                // Pictures and explained tables for the queries that have them.
                for (extension, format) in [
                    ("dot", Format::Dot),
                    ("mermaid", Format::Mermaid),
                    ("explained", Format::Explained),
                    ("sarif", Format::Sarif),
                ] {
                    let picture = file.with_extension(extension);
                    if picture.exists() {
                        check(&picture, &render(&answer, format, true), &mut failures);
                    }
                }
                assert!(
                    !file.with_extension("error").exists(),
                    "{} answers, but an error is expected",
                    file.display()
                );
            }
            Err(error) => {
                check(
                    &file.with_extension("error"),
                    &format!("{}\n", error.render(text)),
                    &mut failures,
                );
                assert!(
                    !file.with_extension("table").exists(),
                    "{} fails: {}",
                    file.display(),
                    error.message
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The examples of `docs/query-language.md`: each ```` ```query ```` block is followed by a
/// ```` ```text ```` block with its table output (or its error), or an ```` ```explained ````
/// block with its `--explain` output, and the grammar section holds
/// the grammar file. `UPDATE_GOLDEN=1` rewrites the outputs.
#[test]
fn the_language_guide_shows_real_answers_and_the_real_grammar() {
    let path = data("../docs/query-language.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let grammar = std::fs::read_to_string(data("../grammar/accessgraph.pest")).unwrap();
    let mut out = String::new();
    let mut lines = doc.split_inclusive('\n').peekable();
    let mut pending_query: Option<String> = None;
    let mut examples = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        let fence = line.trim_end();
        if ["```query", "```text", "```explained", "```pest"].contains(&fence) {
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner.trim_end() == "```" {
                    break;
                }
                body.push_str(inner);
            }
            let body = match fence {
                "```query" => {
                    pending_query = Some(body.trim().to_owned());
                    body
                }
                "```text" | "```explained" => {
                    let query = pending_query.take().expect("a text block follows a query");
                    examples += 1;
                    let format = if fence == "```text" {
                        Format::Table
                    } else {
                        Format::Explained
                    };
                    match run(&query, catalog()) {
                        Ok(answer) => render(&answer, format, true),
                        Err(error) => format!("{}\n", error.render(&query)),
                    }
                }
                _ => grammar.clone(),
            };
            out.push_str(&body);
            out.push_str("```\n");
        }
    }
    assert!(examples >= 20, "examples missing from the guide");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out).unwrap();
    } else {
        assert!(
            doc == out,
            "docs/query-language.md differs from the answers; run with UPDATE_GOLDEN=1 and review"
        );
    }
}

/// Every query `examples/README.md` tells a reader to ask runs on the example organization.
#[test]
fn the_example_questions_run() {
    let readme = std::fs::read_to_string(data("../examples/README.md")).unwrap();
    let mut asked = 0;
    for line in readme
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Ask: "))
    {
        for query in line.split('`').skip(1).step_by(2) {
            asked += 1;
            let answer =
                run(query, catalog()).unwrap_or_else(|error| panic!("{}", error.render(query)));
            assert!(
                answer.total > 0 || answer.decision.is_some() || answer.reachable.is_some(),
                "{query}"
            );
        }
    }
    assert!(asked >= 10, "questions missing");
}
