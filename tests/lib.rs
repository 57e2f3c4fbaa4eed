//! Holds no code: the tests live in the `it` integration test binary (`it/main.rs`), with their
//! data under `data/`.
