//! Benchmarks and the fault soak for the genesys-iac workspace. Run them
//! through `cargo xtask bench` and `cargo xtask soak`, which build this
//! package in release mode.

pub mod soak;
