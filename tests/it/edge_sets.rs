//! The whole edge set of generated organizations, pinned: each `synth` seed's graph is written as
//! one sorted line per edge (ends by ARN, kind, technique, catalog id, alternatives, every cited
//! statement, conditions, requirements, access) and its SHA-256 compared with
//! `tests/data/edge-sets/SEED.digest`, with the edge count by kind beside it.
//!
//! A change meant to make the build faster must leave these files alone (issue 13: "the answers
//! must not change"). The lines are written to `target/edge-sets/SEED.edges`, so a deliberate
//! change can be reviewed with `diff` against a run before it; `UPDATE_GOLDEN=1` rewrites the
//! digests.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use accessgraph_graph::Graph;
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_synth::{SynthConfig, generate};
use sha2::{Digest as _, Sha256};

use crate::ingest::data;

/// Every edge of `graph` as one line, sorted.
fn edge_lines(graph: &Graph) -> Vec<String> {
    let arn = |id| graph.node(id).map_or("?", |node| node.arn.as_str());
    let mut lines: Vec<String> = graph
        .edges()
        .map(|(from, to, edge)| {
            let mut line = format!(
                "{} -> {} {:?} {} [{}]",
                arn(from),
                arn(to),
                edge.kind,
                edge.technique,
                edge.catalog_id.unwrap_or("-")
            );
            for alternative in edge.alternatives.iter() {
                let _ = write!(line, " also:{alternative}");
            }
            for id in edge.evidence.iter() {
                if let Some(citation) = graph.citation(*id) {
                    let _ = write!(
                        line,
                        " cites:{:?}:{}#{}:{:?}:{}:{}",
                        citation.layer,
                        citation.policy,
                        citation.statement,
                        citation.effect,
                        citation.conditional,
                        citation.via.as_deref().unwrap_or("-")
                    );
                }
            }
            let _ = write!(
                line,
                " conditions:{:?} requires:{:?} details:{:?} access:{:?}",
                edge.conditions, edge.requirements, edge.details, edge.access
            );
            line
        })
        .collect();
    lines.sort();
    lines
}

/// The digest file's text: the SHA-256 of the lines, then the count of edges by kind.
fn digest(graph: &Graph, lines: &[String]) -> String {
    let mut hasher = Sha256::new();
    for line in lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, edge) in graph.edges() {
        *by_kind.entry(format!("{:?}", edge.kind)).or_default() += 1;
    }
    let mut text = format!("sha256 {:x}\nedges {}\n", hasher.finalize(), lines.len());
    for (kind, count) in by_kind {
        let _ = writeln!(text, "{kind} {count}");
    }
    text
}

#[test]
fn generated_organizations_keep_their_edge_sets() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/edge-sets");
    std::fs::create_dir_all(&out).unwrap();
    let mut failures = Vec::new();
    for (seed, accounts, principals, resources) in
        [(1, 4, 80, false), (2, 3, 150, false), (3, 5, 40, true)]
    {
        let dir = tempfile::tempdir().unwrap();
        generate(
            &SynthConfig {
                accounts,
                principals,
                seed,
                resources,
            },
            dir.path(),
        )
        .unwrap();
        let snapshot = ingest(dir.path(), &IngestOptions::default())
            .unwrap()
            .snapshot;
        let graph = Graph::build(&snapshot);
        let lines = edge_lines(&graph);
        assert!(lines.len() > 1000, "seed {seed}: too few edges to pin");
        std::fs::write(out.join(format!("{seed}.edges")), lines.join("\n")).unwrap();
        let actual = digest(&graph, &lines);
        let golden = data(&format!("data/edge-sets/{seed}.digest"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "seed {seed}: the edge set changed (lines in {}):\n--- expected\n{expected}--- actual\n{actual}",
                out.join(format!("{seed}.edges")).display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
