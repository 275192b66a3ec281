//! End-to-end tests of the `gc-iac` binary against the simulator: the
//! in-process one (`--sim`) or one a test starts and passes with
//! `--base-url`.

mod commands;
mod errors;
mod help;
mod history;
mod jobfile;
mod proxy;
mod signals;
mod support;
