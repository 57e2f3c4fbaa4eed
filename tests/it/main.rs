//! The single integration test binary (ripgrep's layout): one module per topic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

mod cli;
mod collect;
mod coverage;
mod cuts;
mod differential;
mod edge_sets;
mod emulator;
mod fault_proxy;
mod fixture;
mod front_door;
mod fuzz_replay;
mod graph_examples;
mod graph_techniques;
mod grpc;
mod hostile_files;
mod ingest;
mod ingest_by_content;
mod ingest_errors;
mod managed_policies;
mod policy_conformance;
mod policy_properties;
mod query_cli;
mod query_golden;
mod resource_side;
mod serve_cli;
mod store_crash;
mod tidy;
mod web;
