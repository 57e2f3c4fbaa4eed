//! Saving and loading a built graph, so a large organization is built once per snapshot.
//!
//! The format is flat, so loading is one bulk read and a pass over fixed-size records rather than
//! the decoding of millions of objects. Integers are little-endian except the first two:
//!
//! | bytes | content |
//! |---|---|
//! | 4 | format version, big-endian (as in every earlier format, so an old file names its version) |
//! | 8 | digest of the built-in technique definitions, big-endian |
//! | 4 | CRC-32 of everything after it |
//! | 8 + n | the header: its length, then CBOR of [`Header`] (nodes, citations, account directory, warnings, and the tables of distinct strings, conditions and access lists) |
//! | 8 + 4n | the evidence lists: their length in words, then the words; each list is its length followed by its citation ids, and is named by its position among the lists |
//! | 8 + 4n | the string lists (requirements, alternatives, details) the same way, of string ids |
//! | 8 + 32n | the shapes: their count, then [`SHAPE_WORDS`] words each (see [`Shape`]): what edges have in common but their ends and evidence |
//! | 8 + 16n | the edges: their count, then four words each: from, to, shape, evidence list |
//!
//! Edges share their shape and evidence, and shapes their text, conditions and lists, through
//! the tables, so the file grows with the edges' count (16 bytes each), not with their text. Every id is checked on load, and the
//! checksum catches a damaged or truncated file: either is an error and the caller rebuilds.
//! Indexes (ARN lookup, admins per account, adjacency arrays) are rebuilt on load.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::build::Graph;
use crate::model::{Access, CitationId, Edge, EdgeKind, Node};
use crate::techniques::BUILTIN_DIGEST;

/// Version of the encoding, raised also when the interpreters change the edges a snapshot yields
/// (a cached graph of another version is rebuilt); loading another version is an error. The
/// built-in technique definitions are checked by their digest, saved after the version.
const FORMAT_VERSION: u32 = 11;

/// Words (`u32`) per saved shape.
const SHAPE_WORDS: usize = 8;

/// Words (`u32`) per saved edge: from, to, shape, evidence list.
const EDGE_WORDS: usize = 4;

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

fn damaged(what: impl std::fmt::Display) -> LoadError {
    LoadError::Decode(what.to_string())
}

/// Everything but the list pools, the edge shapes and the edges.
#[derive(Serialize, Deserialize)]
struct Header {
    nodes: Vec<Node>,
    citations: Vec<accessgraph_policy::Citation>,
    directory: crate::build::Directory,
    warnings: Vec<String>,
    /// Distinct strings: techniques, catalog ids, requirements, alternatives, details.
    strings: Vec<String>,
    /// Distinct conditions; an edge names one by its position plus one, 0 for none.
    conditions: Vec<accessgraph_policy::Conditions>,
    /// Distinct access lists of permit edges; the first is the empty list.
    accesses: Vec<Vec<AccessRepr>>,
}

/// A permit edge's access as saved, with an owned action name, mapped back to the catalog's on
/// load.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct AccessRepr {
    level: accessgraph_catalog::AccessLevel,
    action: String,
    conditional: bool,
}

/// What edges have in common but their ends and evidence, as saved: ids into the tables.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Shape {
    kind: u32,
    /// String id of the technique.
    technique: u32,
    /// String id of the catalog id plus one; 0 for none.
    catalog_id: u32,
    /// Conditions id plus one; 0 for none.
    conditions: u32,
    /// String list ids.
    requirements: u32,
    alternatives: u32,
    details: u32,
    /// Access list id.
    access: u32,
}

impl Shape {
    fn words(&self) -> [u32; SHAPE_WORDS] {
        [
            self.kind,
            self.technique,
            self.catalog_id,
            self.conditions,
            self.requirements,
            self.alternatives,
            self.details,
            self.access,
        ]
    }

    fn of(words: [u32; SHAPE_WORDS]) -> Shape {
        let [
            kind,
            technique,
            catalog_id,
            conditions,
            requirements,
            alternatives,
            details,
            access,
        ] = words;
        Shape {
            kind,
            technique,
            catalog_id,
            conditions,
            requirements,
            alternatives,
            details,
            access,
        }
    }
}

/// Edge kinds by their saved code.
const KINDS: [EdgeKind; 8] = [
    EdgeKind::Assume,
    EdgeKind::Privesc,
    EdgeKind::Member,
    EdgeKind::Admin,
    EdgeKind::Takeover,
    EdgeKind::RunsAs,
    EdgeKind::Permit,
    EdgeKind::Sso,
];

fn kind_code(kind: EdgeKind) -> u32 {
    KINDS
        .iter()
        .position(|candidate| *candidate == kind)
        .unwrap_or(0) as u32
}

/// Distinct values with their ids in order of first use.
struct Table<K> {
    ids: HashMap<K, u32>,
    values: Vec<K>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new() -> Table<K> {
        Table {
            ids: HashMap::new(),
            values: Vec::new(),
        }
    }

    fn id(&mut self, value: K) -> u32 {
        if let Some(id) = self.ids.get(&value) {
            return *id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.clone());
        self.ids.insert(value, id);
        id
    }
}

/// Distinct lists of words, stored one after the other: a list is its length, then its items;
/// its id is its position. The first is the empty list.
struct Pool {
    ids: HashMap<Vec<u32>, u32>,
    words: Vec<u32>,
}

impl Pool {
    fn new() -> Pool {
        let mut pool = Pool {
            ids: HashMap::new(),
            words: Vec::new(),
        };
        pool.id(Vec::new());
        pool
    }

    fn id(&mut self, list: Vec<u32>) -> u32 {
        if let Some(id) = self.ids.get(&list) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.words.push(list.len() as u32);
        self.words.extend_from_slice(&list);
        self.ids.insert(list, id);
        id
    }

    fn write(&self, body: &mut Vec<u8>) {
        body.extend_from_slice(&(self.words.len() as u64).to_le_bytes());
        body.extend(self.words.iter().flat_map(|word| word.to_le_bytes()));
    }
}

/// The lists of a saved pool, each item made by `item` (which checks it).
fn read_lists<T>(
    words: &[u8],
    what: &str,
    mut item: impl FnMut(u32) -> Result<T, LoadError>,
) -> Result<Vec<Arc<Vec<T>>>, LoadError> {
    let mut words = words.chunks_exact(4).map(word_of);
    let mut lists = Vec::new();
    while let Some(length) = words.next() {
        let list = (0..length)
            .map(|_| {
                words
                    .next()
                    .ok_or_else(|| damaged(format!("{what} list {} is truncated", lists.len())))
                    .and_then(&mut item)
            })
            .collect::<Result<Vec<T>, LoadError>>()?;
        lists.push(Arc::new(list));
    }
    Ok(lists)
}

impl Graph {
    /// Encodes the graph for storage.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings: Table<&str> = Table::new();
        let mut conditions: Table<&accessgraph_policy::Conditions> = Table::new();
        let mut accesses: Table<Vec<AccessRepr>> = Table::new();
        accesses.id(Vec::new());
        let mut evidence_lists = Pool::new();
        let mut string_lists = Pool::new();
        let mut shapes: Table<Shape> = Table::new();
        let mut records: Vec<u32> = Vec::with_capacity(self.graph.edge_count() * EDGE_WORDS);
        for (from, to, edge) in self.edges() {
            let [requirements, alternatives, details] =
                [&edge.requirements, &edge.alternatives, &edge.details].map(|list| {
                    let ids = list.iter().map(|text| strings.id(text.as_str())).collect();
                    string_lists.id(ids)
                });
            let evidence = evidence_lists.id(edge.evidence.iter().map(|id| id.0).collect());
            let conditions = if edge.conditions.is_settled() && edge.conditions.list.is_empty() {
                0
            } else {
                conditions.id(&edge.conditions) + 1
            };
            let access = accesses.id(edge
                .access
                .iter()
                .map(|access| AccessRepr {
                    level: access.level,
                    action: access.action.to_owned(),
                    conditional: access.conditional,
                })
                .collect());
            let shape = shapes.id(Shape {
                kind: kind_code(edge.kind),
                technique: strings.id(edge.technique.as_ref()),
                catalog_id: edge.catalog_id.map_or(0, |id| strings.id(id) + 1),
                conditions,
                requirements,
                alternatives,
                details,
                access,
            });
            records.extend_from_slice(&[from.0, to.0, shape, evidence]);
        }
        let header = Header {
            nodes: self.graph.node_weights().cloned().collect(),
            citations: self.citations.clone(),
            directory: self.directory.clone(),
            warnings: self.warnings.clone(),
            strings: strings
                .values
                .iter()
                .map(|text| (*text).to_owned())
                .collect(),
            conditions: conditions.values.into_iter().cloned().collect(),
            accesses: accesses.values,
        };
        let mut encoded_header = Vec::new();
        // Writing into a Vec cannot fail; an encoding error leaves a header that does not decode,
        // which loads as an error rather than a wrong graph.
        let _ = ciborium::into_writer(&header, &mut encoded_header);

        let mut bytes = Vec::with_capacity(
            48 + encoded_header.len()
                + 4 * (evidence_lists.words.len()
                    + string_lists.words.len()
                    + SHAPE_WORDS * shapes.values.len()
                    + records.len()),
        );
        bytes.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        bytes.extend_from_slice(&BUILTIN_DIGEST.to_be_bytes());
        // The checksum's place, filled in last.
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&(encoded_header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&encoded_header);
        evidence_lists.write(&mut bytes);
        string_lists.write(&mut bytes);
        bytes.extend_from_slice(&(shapes.values.len() as u64).to_le_bytes());
        bytes.extend(
            shapes
                .values
                .iter()
                .flat_map(Shape::words)
                .flat_map(u32::to_le_bytes),
        );
        bytes.extend_from_slice(&((records.len() / EDGE_WORDS) as u64).to_le_bytes());
        bytes.extend(records.iter().flat_map(|word| word.to_le_bytes()));
        let checksum = crc32fast::hash(bytes.get(16..).unwrap_or_default());
        if let Some(place) = bytes.get_mut(12..16) {
            place.copy_from_slice(&checksum.to_le_bytes());
        }
        bytes
    }

    /// Decodes a graph saved by [`Graph::to_bytes`]; a damaged, truncated or foreign file is an
    /// error, never a wrong graph.
    pub fn from_bytes(bytes: &[u8]) -> Result<Graph, LoadError> {
        Graph::read_from(bytes, bytes.len() as u64)
    }

    /// Decodes a graph saved by [`Graph::to_bytes`] from `reader`, which holds `length` bytes
    /// (a file's size): read once, in order, holding only the graph being built, never the
    /// whole file. A damaged, truncated or foreign file is an error, never a wrong graph: ids
    /// are checked as they are read, and the checksum at the end.
    pub fn read_from(reader: impl std::io::Read, length: u64) -> Result<Graph, LoadError> {
        let mut input = Input {
            inner: reader,
            checksum: crc32fast::Hasher::new(),
            left: length,
        };
        let version = u32::from_be_bytes(input.array()?);
        if version != FORMAT_VERSION {
            return Err(LoadError::Version { found: version });
        }
        if u64::from_be_bytes(input.array()?) != BUILTIN_DIGEST {
            return Err(LoadError::Techniques);
        }
        let expected = u32::from_le_bytes(input.array()?);
        // Everything after the checksum is covered by it.
        input.checksum = crc32fast::Hasher::new();
        let header_length = input.length(1)?;
        let mut header: Header = ciborium::from_reader(input.bytes(header_length)?.as_slice())
            .map_err(|error| damaged(format!("header: {error}")))?;
        let evidence_length = input.length(4)?;
        let evidence_lists = input.bytes(evidence_length * 4)?;
        let strings_length = input.length(4)?;
        let string_lists = input.bytes(strings_length * 4)?;
        let tables = Tables::new(&mut header, &evidence_lists, &string_lists)?;
        drop((evidence_lists, string_lists));
        let shape_count = input.length(4 * SHAPE_WORDS)?;
        let shapes = input
            .bytes(shape_count * 4 * SHAPE_WORDS)?
            .chunks_exact(4 * SHAPE_WORDS)
            .map(|words| tables.shape(&Shape::of(words_of(words))))
            .collect::<Result<Vec<Edge>, LoadError>>()?;
        let edge_count = input.length(4 * EDGE_WORDS)?;
        let mut graph: DiGraph<Node, Edge, u32> =
            DiGraph::with_capacity(header.nodes.len(), edge_count);
        for node in header.nodes {
            graph.add_node(node);
        }
        const CHUNK: usize = 4096;
        let mut chunk = vec![0u8; CHUNK * 4 * EDGE_WORDS];
        let mut remaining = edge_count;
        while remaining > 0 {
            let records = remaining.min(CHUNK);
            let bytes = chunk
                .get_mut(..records * 4 * EDGE_WORDS)
                .ok_or_else(|| damaged("truncated"))?;
            input.exact(bytes)?;
            for words in bytes.chunks_exact(4 * EDGE_WORDS) {
                let [from, to, shape, evidence] = words_of::<EDGE_WORDS>(words);
                let (from, to) = (from as usize, to as usize);
                if from >= graph.node_count() || to >= graph.node_count() {
                    return Err(damaged(format!("edge {from} -> {to} names a missing node")));
                }
                let mut edge = shapes
                    .get(shape as usize)
                    .cloned()
                    .ok_or_else(|| damaged(format!("shape {shape} is missing")))?;
                edge.evidence = tables
                    .evidence
                    .get(evidence as usize)
                    .cloned()
                    .ok_or_else(|| damaged(format!("evidence list {evidence} is missing")))?;
                graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), edge);
            }
            remaining -= records;
        }
        if input.left != 0 {
            return Err(damaged("bytes after the last edge"));
        }
        if input.checksum.finalize() != expected {
            return Err(damaged(
                "its checksum does not match (damaged or truncated)",
            ));
        }
        Ok(Graph::assemble(
            graph,
            header.citations,
            header.directory,
            header.warnings,
        ))
    }
}

/// The header's tables and the lists as the values edges share, every id checked.
struct Tables {
    texts: Vec<Arc<String>>,
    /// Each string as a technique catalog id, when it is one.
    catalog_ids: Vec<Option<&'static str>>,
    /// Conditions by id plus one; the first is none.
    conditions: Vec<Arc<accessgraph_policy::Conditions>>,
    accesses: Vec<Arc<Vec<Access>>>,
    evidence: Vec<Arc<Vec<CitationId>>>,
    lists: Vec<Arc<Vec<String>>>,
}

impl Tables {
    fn new(
        header: &mut Header,
        evidence_lists: &[u8],
        string_lists: &[u8],
    ) -> Result<Tables, LoadError> {
        let accesses = header
            .accesses
            .iter()
            .map(|list| {
                list.iter()
                    .map(|access| {
                        Ok(Access {
                            level: access.level,
                            action: crate::access::static_action(&access.action).ok_or_else(
                                || damaged(format!("unknown access action `{}`", access.action)),
                            )?,
                            conditional: access.conditional,
                        })
                    })
                    .collect::<Result<Vec<Access>, LoadError>>()
                    .map(Arc::new)
            })
            .collect::<Result<_, _>>()?;
        let conditions = std::iter::once(accessgraph_policy::Conditions::none())
            .chain(std::mem::take(&mut header.conditions))
            .map(Arc::new)
            .collect();
        let citations = header.citations.len();
        let evidence = read_lists(evidence_lists, "evidence", |id| {
            ((id as usize) < citations)
                .then_some(CitationId(id))
                .ok_or_else(|| damaged(format!("citation {id} is missing")))
        })?;
        let lists = read_lists(string_lists, "string", |id| {
            header
                .strings
                .get(id as usize)
                .cloned()
                .ok_or_else(|| damaged(format!("string {id} is missing")))
        })?;
        Ok(Tables {
            catalog_ids: header
                .strings
                .iter()
                .map(|text| crate::techniques::static_id(text))
                .collect(),
            texts: header.strings.iter().cloned().map(Arc::new).collect(),
            conditions,
            accesses,
            evidence,
            lists,
        })
    }

    fn text(&self, id: u32) -> Result<&Arc<String>, LoadError> {
        self.texts
            .get(id as usize)
            .ok_or_else(|| damaged(format!("string {id} is missing")))
    }

    fn strings(&self, id: u32) -> Result<Arc<Vec<String>>, LoadError> {
        self.lists
            .get(id as usize)
            .cloned()
            .ok_or_else(|| damaged(format!("string list {id} is missing")))
    }

    /// An edge of `shape` with no evidence yet.
    fn shape(&self, shape: &Shape) -> Result<Edge, LoadError> {
        let catalog_id = match shape.catalog_id.checked_sub(1) {
            None => None,
            Some(id) => Some(
                self.catalog_ids
                    .get(id as usize)
                    .copied()
                    .flatten()
                    .ok_or_else(|| damaged(format!("string {id} is not a technique id")))?,
            ),
        };
        Ok(Edge {
            kind: *KINDS
                .get(shape.kind as usize)
                .ok_or_else(|| damaged(format!("edge kind {} is unknown", shape.kind)))?,
            technique: self.text(shape.technique)?.clone(),
            catalog_id,
            evidence: Arc::default(),
            conditions: self
                .conditions
                .get(shape.conditions as usize)
                .cloned()
                .ok_or_else(|| damaged(format!("conditions {} are missing", shape.conditions)))?,
            requirements: self.strings(shape.requirements)?,
            alternatives: self.strings(shape.alternatives)?,
            details: self.strings(shape.details)?,
            access: self
                .accesses
                .get(shape.access as usize)
                .cloned()
                .ok_or_else(|| damaged(format!("access list {} is missing", shape.access)))?,
        })
    }
}

/// The first `N` little-endian words of `bytes`.
fn words_of<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut words = [0u32; N];
    for (word, bytes) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        *word = word_of(bytes);
    }
    words
}

/// The little-endian word of four bytes.
fn word_of(bytes: &[u8]) -> u32 {
    <[u8; 4]>::try_from(bytes).map_or(0, u32::from_le_bytes)
}

/// Reads the saved sections in order, every length checked against what is left, every byte
/// after the checksum added to it.
struct Input<R> {
    inner: R,
    checksum: crc32fast::Hasher,
    /// Bytes not read yet.
    left: u64,
}

impl<R: std::io::Read> Input<R> {
    fn exact(&mut self, buffer: &mut [u8]) -> Result<(), LoadError> {
        let wanted = buffer.len() as u64;
        if wanted > self.left {
            return Err(damaged("truncated"));
        }
        self.inner.read_exact(buffer).map_err(|error| {
            if error.kind() == std::io::ErrorKind::UnexpectedEof {
                damaged("truncated")
            } else {
                damaged(format!("cannot be read: {error}"))
            }
        })?;
        self.left -= wanted;
        self.checksum.update(buffer);
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let mut array = [0u8; N];
        self.exact(&mut array)?;
        Ok(array)
    }

    /// `length` bytes (at most what is left, so a damaged length cannot ask for more memory
    /// than the file's size).
    fn bytes(&mut self, length: usize) -> Result<Vec<u8>, LoadError> {
        let mut bytes = vec![0u8; length];
        self.exact(&mut bytes)?;
        Ok(bytes)
    }

    /// A section's length in units of `unit` bytes, checked to fit in what is left.
    fn length(&mut self, unit: usize) -> Result<usize, LoadError> {
        let length = u64::from_le_bytes(self.array()?);
        usize::try_from(length)
            .ok()
            .filter(|length| {
                length
                    .checked_mul(unit)
                    .is_some_and(|bytes| bytes as u64 <= self.left)
            })
            .ok_or_else(|| damaged("a section is longer than the file"))
    }
}

/// Node index by ARN (helper nodes excluded).
pub(crate) fn arn_index(graph: &DiGraph<Node, Edge, u32>) -> HashMap<String, NodeIndex<u32>> {
    graph
        .node_indices()
        .filter_map(|index| {
            let node = graph.node_weight(index)?;
            (!node.kind.is_helper()).then(|| (node.arn.clone(), index))
        })
        .collect()
}
