//! The accessgraph query language: a pest grammar (`grammar/accessgraph.pest`) parsed into an
//! AST with spans ([`parse`]), planned against one graph ([`plan`]) and executed into an
//! [`Answer`] of rows with paths and evidence.

#![warn(missing_docs)]

mod ast;
mod error;
mod syntax;

pub use ast::{
    EdgeKindName, Modifier, NamedKind, NodeRef, PathMode, Query, RequestSpec, Scope, Span, Spanned,
    Statement, Target,
};
pub use error::{ErrorKind, QueryError};
pub use syntax::{MAX_QUERY_BYTES, parse};
