//! Saving and loading a built graph, so a large organization is built once per snapshot.
//!
//! The bytes are a CBOR encoding (self-describing, so tagged enums and optional fields round-trip)
//! of the nodes, the edges with their endpoints, the interned
//! citations, the account directory and warnings, behind a format version. Indexes (ARN lookup, admins
//! per account, adjacency arrays) are rebuilt on load.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::build::Graph;
use crate::model::{Edge, Node};
use crate::techniques::BUILTIN_DIGEST;

/// Version of the encoding, raised also when the interpreters change the edges a snapshot yields
/// (a cached graph of another version is rebuilt); loading another version is an error. The
/// built-in technique definitions are checked by their digest, saved after the version.
const FORMAT_VERSION: u32 = 9;

/// Why saved bytes cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Written by another version of accessgraph.
    #[error(
        "the saved graph has format version {found}, this accessgraph reads version {FORMAT_VERSION}"
    )]
    Version {
        /// Version found.
        found: u32,
    },
    /// Built from other technique definitions than this accessgraph's.
    #[error("the saved graph was built from other privilege-escalation technique definitions")]
    Techniques,
    /// Not a saved graph, or damaged.
    #[error("the saved graph cannot be decoded: {0}")]
    Decode(String),
}

#[derive(Serialize, Deserialize)]
struct Saved {
    nodes: Vec<Node>,
    edges: Vec<(u32, u32, Edge)>,
    citations: Vec<accessgraph_policy::Citation>,
    directory: crate::build::Directory,
    warnings: Vec<String>,
}

/// An edge as saved, with an owned technique id, mapped back to the static id on load.
#[derive(Deserialize)]
pub(crate) struct EdgeRepr {
    kind: crate::EdgeKind,
    technique: String,
    catalog_id: Option<String>,
    evidence: Vec<crate::CitationId>,
    conditions: accessgraph_policy::Conditions,
    requirements: Vec<String>,
    alternatives: Vec<String>,
    #[serde(default)]
    details: Vec<String>,
    #[serde(default)]
    access: Vec<AccessRepr>,
}

/// A permit edge's access as saved, with an owned action name, mapped back to the catalog's on
/// load.
#[derive(Deserialize)]
struct AccessRepr {
    level: accessgraph_catalog::AccessLevel,
    action: String,
    conditional: bool,
}

impl<'de> Deserialize<'de> for Edge {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Edge, D::Error> {
        Edge::try_from(EdgeRepr::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<EdgeRepr> for Edge {
    type Error = String;

    fn try_from(repr: EdgeRepr) -> Result<Edge, String> {
        let catalog_id = match repr.catalog_id {
            None => None,
            Some(text) => Some(
                crate::techniques::static_id(&text)
                    .ok_or_else(|| format!("unknown technique `{text}`"))?,
            ),
        };
        Ok(Edge {
            kind: repr.kind,
            technique: repr.technique,
            catalog_id,
            evidence: repr.evidence,
            conditions: repr.conditions,
            requirements: repr.requirements,
            alternatives: repr.alternatives,
            details: repr.details,
            access: repr
                .access
                .into_iter()
                .map(|access| {
                    Ok(crate::model::Access {
                        level: access.level,
                        action: crate::access::static_action(&access.action)
                            .ok_or_else(|| format!("unknown access action `{}`", access.action))?,
                        conditional: access.conditional,
                    })
                })
                .collect::<Result<_, String>>()?,
        })
    }
}

impl Graph {
    /// Encodes the graph for storage.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let edges = self
            .graph
            .edge_indices()
            .filter_map(|edge| {
                let (from, to) = self.graph.edge_endpoints(edge)?;
                Some((
                    from.index() as u32,
                    to.index() as u32,
                    self.graph.edge_weight(edge)?.clone(),
                ))
            })
            .collect();
        let saved = Saved {
            nodes: self.graph.node_weights().cloned().collect(),
            edges,
            citations: self.citations.clone(),
            directory: self.directory.clone(),
            warnings: self.warnings.clone(),
        };
        let mut bytes = FORMAT_VERSION.to_be_bytes().to_vec();
        bytes.extend_from_slice(&BUILTIN_DIGEST.to_be_bytes());
        // Writing into a Vec cannot fail; an encoding error leaves only the version, which loads
        // as an error rather than a wrong graph.
        let _ = ciborium::into_writer(&saved, &mut bytes);
        bytes
    }

    /// Decodes a graph saved by [`Graph::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Graph, LoadError> {
        let (version, body) = bytes
            .split_at_checked(4)
            .ok_or_else(|| LoadError::Decode("too short".into()))?;
        let version = <[u8; 4]>::try_from(version)
            .map(u32::from_be_bytes)
            .unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(LoadError::Version { found: version });
        }
        let (digest, body) = body
            .split_at_checked(8)
            .ok_or_else(|| LoadError::Decode("too short".into()))?;
        if <[u8; 8]>::try_from(digest).map(u64::from_be_bytes).ok() != Some(BUILTIN_DIGEST) {
            return Err(LoadError::Techniques);
        }
        let saved: Saved =
            ciborium::from_reader(body).map_err(|error| LoadError::Decode(error.to_string()))?;
        let mut graph: DiGraph<Node, Edge, u32> =
            DiGraph::with_capacity(saved.nodes.len(), saved.edges.len());
        for node in saved.nodes {
            graph.add_node(node);
        }
        let node_count = graph.node_count();
        for (from, to, edge) in saved.edges {
            if from as usize >= node_count || to as usize >= node_count {
                return Err(LoadError::Decode(format!(
                    "edge {from} -> {to} names a missing node"
                )));
            }
            graph.add_edge(
                NodeIndex::new(from as usize),
                NodeIndex::new(to as usize),
                edge,
            );
        }
        Ok(Graph::assemble(
            graph,
            saved.citations,
            saved.directory,
            saved.warnings,
        ))
    }
}

/// Node index by ARN (helper nodes excluded).
pub(crate) fn arn_index(graph: &DiGraph<Node, Edge, u32>) -> HashMap<String, NodeIndex<u32>> {
    graph
        .node_indices()
        .filter_map(|index| {
            let node = graph.node_weight(index)?;
            (!matches!(
                node.kind,
                crate::NodeKind::AccountAdmin | crate::NodeKind::ExistingCompute
            ))
            .then(|| (node.arn.clone(), index))
        })
        .collect()
}
