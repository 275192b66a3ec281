//! `gc-iac-sim`: runs the Genesys Cloud infrastructure-as-code simulator in
//! the foreground (see `gc-iac-sim --help`).

use clap::Parser;

/// A local simulator of the Genesys Cloud infrastructure-as-code jobs API.
#[derive(Debug, Parser)]
#[command(name = "gc-iac-sim", version, about)]
struct Cli {
    #[command(flatten)]
    sim: genesys_iac_sim::SimArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    match genesys_iac_sim::run_foreground(cli.sim).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gc-iac-sim: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
