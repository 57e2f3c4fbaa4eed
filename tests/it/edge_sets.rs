//! The whole edge set of generated organizations, pinned: each `synth` seed's graph is written as
//! one sorted line per edge (ends by ARN, kind, technique, catalog id, alternatives, every cited
//! statement, conditions, requirements, access) and its SHA-256 compared with
//! `tests/data/edge-sets/SEED.digest`, with the edge count by kind beside it. A pair joined
//! through a helper node that stands for its one evaluation is written as the edge it replaces,
//! so the digests say that sharing edges changed no pair's evidence or conditions.
//!
//! A change meant to make the build faster must leave these files alone (issue 13: "the answers
//! must not change"). The lines are written to `target/edge-sets/SEED.edges`, so a deliberate
//! change can be reviewed with `diff` against a run before it; `UPDATE_GOLDEN=1` rewrites the
//! digests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use accessgraph_graph::{CitationId, Edge, EdgeKind, Graph, NodeId, NodeKind};
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_synth::{SynthConfig, generate};
use sha2::{Digest as _, Sha256};

use crate::ingest::data;

/// One edge as the digest sees it.
struct Line<'g> {
    from: NodeId,
    to: NodeId,
    kind: EdgeKind,
    technique: &'g str,
    catalog_id: Option<&'static str>,
    alternatives: &'g [String],
    evidence: Vec<CitationId>,
    conditions: &'g accessgraph_policy::Conditions,
    requirements: Vec<String>,
    details: &'g [String],
    access: &'g [accessgraph_graph::Access],
}

impl<'g> Line<'g> {
    fn of(from: NodeId, to: NodeId, edge: &'g Edge) -> Line<'g> {
        Line {
            from,
            to,
            kind: edge.kind,
            technique: &edge.technique,
            catalog_id: edge.catalog_id,
            alternatives: &edge.alternatives,
            evidence: edge.evidence.to_vec(),
            conditions: &edge.conditions,
            requirements: edge.requirements.to_vec(),
            details: &edge.details,
            access: &edge.access,
        }
    }

    fn text(&self, graph: &Graph) -> String {
        let arn = |id| graph.node(id).map_or("?", |node| node.arn.as_str());
        let mut line = format!(
            "{} -> {} {:?} {} [{}]",
            arn(self.from),
            arn(self.to),
            self.kind,
            self.technique,
            self.catalog_id.unwrap_or("-")
        );
        for alternative in self.alternatives {
            let _ = write!(line, " also:{alternative}");
        }
        // The statements in a fixed order: the evaluator's order is not part of the answer.
        let mut cites: Vec<String> = self
            .evidence
            .iter()
            .filter_map(|id| graph.citation(*id))
            .map(|citation| {
                format!(
                    " cites:{:?}:{}#{}:{:?}:{}:{}",
                    citation.layer,
                    citation.policy,
                    citation.statement,
                    citation.effect,
                    citation.conditional,
                    citation.via.as_deref().unwrap_or("-")
                )
            })
            .collect();
        cites.sort();
        line.extend(cites);
        let _ = write!(
            line,
            " conditions:{:?} requires:{:?} details:{:?} access:{:?}",
            self.conditions, self.requirements, self.details, self.access
        );
        line
    }
}

/// Every edge of `graph` between nodes answers show, one line each, sorted: a way through a
/// helper node that stands for a pair's one edge is written as the pair's edge, unless the pair
/// also has its own edge of that kind: through an account's principals that may assume any role,
/// `sts:AssumeRole` with the evidence and conditions of both halves; through new compute of a
/// service or a user-takeover helper, the privilege escalation into the helper with what the edge
/// out of it adds (the user's own requirement).
fn edge_lines(graph: &Graph) -> (Vec<String>, BTreeMap<String, usize>) {
    let shared = |id| {
        graph.node(id).map(|node| node.kind).filter(|kind| {
            matches!(
                kind,
                NodeKind::AssumeAnyRole | NodeKind::NewCompute | NodeKind::UserTakeover
            )
        })
    };
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut into: HashMap<NodeId, Vec<(NodeId, &Edge)>> = HashMap::new();
    let mut out_of: HashMap<NodeId, Vec<(NodeId, &Edge)>> = HashMap::new();
    for (from, to, edge) in graph.edges() {
        if shared(to).is_some() {
            into.entry(to).or_default().push((from, edge));
        } else if shared(from).is_some() {
            out_of.entry(from).or_default().push((to, edge));
        } else {
            lines.push(Line::of(from, to, edge));
        }
    }
    let direct: HashSet<(NodeId, NodeId, EdgeKind)> = lines
        .iter()
        .map(|line| (line.from, line.to, line.kind))
        .collect();
    for (helper, callers) in &into {
        for (role, out) in out_of.get(helper).into_iter().flatten() {
            for (caller, own) in callers {
                if caller == role || direct.contains(&(*caller, *role, own.kind)) {
                    continue;
                }
                let line = if shared(*helper) == Some(NodeKind::AssumeAnyRole) {
                    let mut line = Line::of(*caller, *role, out);
                    line.evidence.extend(own.evidence.iter().copied());
                    line.requirements.extend(own.requirements.iter().cloned());
                    line
                } else {
                    let mut line = Line::of(*caller, *role, own);
                    line.evidence.extend(out.evidence.iter().copied());
                    line.requirements.extend(out.requirements.iter().cloned());
                    line
                };
                lines.push(line);
            }
        }
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        *by_kind.entry(format!("{:?}", line.kind)).or_default() += 1;
    }
    let mut texts: Vec<String> = lines.iter().map(|line| line.text(graph)).collect();
    texts.sort();
    (texts, by_kind)
}

/// The digest file's text: the SHA-256 of the lines, then the count of edges by kind.
fn digest(lines: &[String], by_kind: &BTreeMap<String, usize>) -> String {
    let mut hasher = Sha256::new();
    for line in lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
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
    let mut helper_ways = [
        (NodeKind::AssumeAnyRole, 0),
        (NodeKind::NewCompute, 0),
        (NodeKind::UserTakeover, 0),
    ];
    for (seed, accounts, principals, resources) in [
        (1, 4, 80, false),
        (2, 3, 150, false),
        (3, 5, 40, true),
        (4, 3, 400, false),
    ] {
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
        let (lines, by_kind) = edge_lines(&graph);
        assert!(lines.len() > 1000, "seed {seed}: too few edges to pin");
        for (kind, ways) in &mut helper_ways {
            *ways += graph
                .edges()
                .filter(|(from, _, _)| graph.node(*from).is_some_and(|node| node.kind == *kind))
                .count();
        }
        std::fs::write(out.join(format!("{seed}.edges")), lines.join("\n")).unwrap();
        let actual = digest(&lines, &by_kind);
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
    // The digests check the helpers standing for pairs only if the organizations have them.
    for (kind, ways) in helper_ways {
        assert!(ways > 10, "{ways} edges out of {kind:?} helpers");
    }
}
