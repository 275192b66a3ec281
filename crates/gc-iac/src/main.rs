//! `gc-iac`: run and inspect Genesys Cloud infrastructure-as-code jobs.
//!
//! A thin layer over the `genesys-iac` library: parse the command line, call
//! the library, render the result. See `gc-iac --help`.

mod app;
mod cli;
mod error;
mod jobfile;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{CliError, Exit};

/// Parses the command line, runs the command on a tokio runtime, maps the
/// outcome to an exit code.
fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout (exit 0) and usage errors on
            // stderr (exit 2).
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            CliError::usage(format!("cannot start the async runtime: {e}")).report();
            return Exit::Usage.into();
        }
    };
    let result = runtime.block_on(app::run(cli));
    // Don't wait for lingering tasks (e.g. an in-process simulator's
    // connections) once the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            e.report();
            e.exit.into()
        }
    }
}

/// Sends `tracing` output to stderr at the level `-v` asks for (`RUST_LOG`
/// overrides it).
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "warn,gc_iac={level},genesys_iac={level},genesys_iac_sim={level}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
