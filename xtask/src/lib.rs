//! Developer tasks for the workspace, run as `cargo xtask <task>`.
//!
//! - `generate [--check] [--spec FILE] [--out FILE]`: regenerate (or check)
//!   `crates/genesys-iac-client/src/generated.rs` from the OpenAPI fragment.
//! - `bench [--quick]`: side-by-side benchmarks (see `BENCHMARKS.md`).

pub mod generate;
pub mod peers;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The checked-in spec, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/infrastructureascode.yaml";
/// The generated file, relative to the workspace root.
pub const GENERATED_PATH: &str = "crates/genesys-iac-client/src/generated.rs";

/// The cargo target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}
