//! The accessgraph query language: a pest grammar (`grammar/accessgraph.pest`) parsed into an
//! AST with spans ([`parse`]), planned against one snapshot's graph ([`plan`]) and executed
//! ([`execute`], or [`run`] for all three) into an [`Answer`] of rows with paths and evidence,
//! which [`render`] turns into a table, JSON, Graphviz DOT or Mermaid.
//!
//! Storage stays behind the [`Catalog`] trait: the command line serves views from a sled store,
//! tests and benchmarks from memory.

#![warn(missing_docs)]

mod answer;
mod ast;
mod complete;
mod coverage;
mod cuts;
mod error;
mod exec;
mod plan;
mod render;
mod syntax;
mod view;

pub use answer::{
    AdminInfo, Answer, Change, DecisionInfo, NodeDetail, NodeInfo, PolicyInfo, Row, Step, edge_name,
};
pub use ast::{
    AccessLevel, ContextPairs, EdgeKindName, KeepItem, Modifier, NamedKind, NodeRef, PathMode,
    Query, RequestSpec, Scope, Span, Spanned, Statement, Target, level_words,
};
pub use complete::{MAX_COMPLETIONS, complete};
pub use cuts::{
    CheckInfo, ChokePointInfo, CutsAnswer, DEFAULT_CHOKE_POINTS, FixInfo, MAX_CHOKE_POINTS,
    PlanInfo, PolicyEdit,
};
pub use error::{ErrorKind, QueryError};
pub use exec::{execute, execute_streaming, run, run_query};
pub use plan::{
    DEFAULT_PATH_LIMIT, MAX_WILDCARD_ACTIONS, Op, Plan, Targets, applies, plan, snapshot_of,
};
pub use render::{Format, decision_words, render};
pub use syntax::{MAX_QUERY_BYTES, parse};
pub use view::{Catalog, CatalogError, MemoryCatalog, SnapshotLoader, SnapshotRef, View};
