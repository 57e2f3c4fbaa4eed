//! The generated gRPC code of the accessgraph service (`proto/accessgraph/v1/accessgraph.proto`,
//! package `accessgraph.v1`): prost messages, the tonic client and server, and the file
//! descriptor set for server reflection. Generated code only.

#![allow(
    missing_docs,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "generated code"
)]

/// Package `accessgraph.v1`.
pub mod v1 {
    tonic::include_proto!("accessgraph.v1");
}

/// The encoded file descriptor set of the schema, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    tonic::include_file_descriptor_set!("accessgraph_descriptor");
