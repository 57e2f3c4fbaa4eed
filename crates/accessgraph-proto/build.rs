//! Compiles `proto/accessgraph/v1/accessgraph.proto` with a vendored `protoc` (no system protoc
//! needed) into prost messages and tonic client and server code, and writes the file descriptor
//! set that server reflection serves.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let proto = root.join("accessgraph/v1/accessgraph.proto");
    let descriptor = PathBuf::from(std::env::var("OUT_DIR")?).join("accessgraph_descriptor.bin");
    println!("cargo:rerun-if-changed={}", proto.display());
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor)
        .compile_with_config(config, &[proto], &[root])?;
    Ok(())
}
