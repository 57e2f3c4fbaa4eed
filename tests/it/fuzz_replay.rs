//! The fuzz corpora replayed (docs/fuzzing.md): every input the fuzzers kept, and every crash
//! they once found, is run again with the targets' properties, so what was fixed stays fixed.
//! CI replays; it does not fuzz.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use accessgraph_policy::{
    Action, ParseOptions, Policy, PolicyDocument, PolicyKind, PolicySet, Principal, Request,
    RequestContext, Resource, evaluate,
};

use crate::ingest::data;

/// The inputs of a target's corpus (`crates/CRATE/fuzz/corpus/TARGET`), at least one.
fn corpus(krate: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir: PathBuf = data(&format!("../crates/{krate}/fuzz/corpus/{target}"));
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    inputs
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn the_policy_corpus_parses_prints_back_and_evaluates() {
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::bucket/key");
    let context = RequestContext::new().with("aws:SourceIp", "203.0.113.7");
    let request = Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context: &context,
    };
    for (path, bytes) in corpus("accessgraph-policy", "policy_parse") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let strict = ParseOptions {
            strict: true,
            kind: Some(PolicyKind::Resource),
            ..ParseOptions::default()
        };
        let _ = PolicyDocument::parse_with(text, &strict);
        let Ok(policy) = Policy::parse("fuzz", text) else {
            continue;
        };
        let printed = policy.document().to_json().to_string();
        assert!(PolicyDocument::parse(&printed).is_ok(), "{}", name(&path));
        let policies = [Arc::new(policy)];
        let set = PolicySet {
            identity: &policies,
            resource: Some(&policies[0]),
            ..PolicySet::default()
        };
        let _ = evaluate(&request, &set);
    }
}

#[test]
fn the_query_corpus_prints_back_to_the_same_query() {
    for (path, bytes) in corpus("accessgraph-query", "query_parse") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match accessgraph_query::parse(text) {
            Ok(query) => {
                let printed = query.to_string();
                let again = accessgraph_query::parse(&printed)
                    .unwrap_or_else(|error| panic!("{}: {}", name(&path), error.render(&printed)));
                assert_eq!(again, query, "{}: {printed}", name(&path));
            }
            Err(error) => {
                let _ = error.render(text);
                let _ = error.line_column(text);
            }
        }
    }
}

#[test]
fn the_ingest_corpus_never_panics_and_errors_say_where() {
    let names = accessgraph_ingest::FUZZ_FILE_NAMES;
    let mut accepted = 0;
    for (path, bytes) in corpus("accessgraph-ingest", "ingest_file") {
        let Some((choice, rest)) = bytes.split_first() else {
            continue;
        };
        let file = names[usize::from(*choice) % names.len()];
        match accessgraph_ingest::ingest_document(file, rest) {
            Ok(_) => accepted += 1,
            // The file itself, or one the merge needs (`describe-organization.json`).
            Err(error) => assert!(!error.file_path().is_empty(), "{}", name(&path)),
        }
    }
    assert!(
        accepted > 0,
        "the seeds (the example organization's files) are accepted"
    );
}
