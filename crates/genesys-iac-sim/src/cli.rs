//! The command-line options of `gc-iac-sim` (reusable with
//! `#[command(flatten)]`) and the foreground runner.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    Accelerator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FaultProfile, OAuthClient, SimError,
    Simulator, SimulatorBuilder,
};

/// The options of the `gc-iac-sim` binary, as a `clap::Args` struct so other
/// command-line tools can embed them with `#[command(flatten)]`.
///
/// ```
/// use clap::Parser;
/// use genesys_iac_sim::SimArgs;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     sim: SimArgs,
/// }
///
/// let cli = Cli::try_parse_from([
///     "sim", "--addr", "127.0.0.1:0", "--client", "viewer:pw:infrastructureascode:job:view",
///     "--fail-rate", "0.1", "--seed", "7",
/// ]).unwrap();
/// let builder = cli.sim.into_builder().unwrap();
/// # let _ = builder;
/// assert!(Cli::try_parse_from(["sim", "--fail-rate", "1.5"]).is_err());
/// ```
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,

    /// An accepted OAuth client, ID:SECRET[:PERMISSION,...] (repeatable).
    /// Split at the first two colons; permissions are comma-separated.
    /// Without a permission list: infrastructureascode:job:view and
    /// infrastructureascode:job:add. Without any --client: sim-client /
    /// sim-secret with both.
    #[arg(long = "client", value_name = "ID:SECRET[:PERMISSION,...]", value_parser = parse_client)]
    pub clients: Vec<OAuthClient>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86399, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: u64,

    /// Duration of each lifecycle step (Created, Queued, Running), in ms.
    #[arg(long, value_name = "MS", default_value_t = 400)]
    pub step_ms: u64,

    /// Requests per minute per OAuth client; beyond it 429 with Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,

    /// Share of GET and token requests answered 500 or 503 (half with HTML).
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,

    /// Share of GET connections dropped without a reply.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub reset_rate: f64,

    /// Share of job POSTs answered 503 before anything is created.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub post_fail_rate: f64,

    /// Share of job POSTs that create the job but lose the reply.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub post_lost_reply_rate: f64,

    /// Latency added to every request, in ms.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Seed of the fault generator (makes faults reproducible).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Accelerator catalogue replacing the built-in one (JSON if the name
    /// ends in .json, YAML otherwise).
    #[arg(long, value_name = "FILE")]
    pub accelerators: Option<PathBuf>,
}

fn parse_client(spec: &str) -> Result<OAuthClient, String> {
    OAuthClient::parse_spec(spec)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{text} is not a probability between 0 and 1"))
    }
}

impl SimArgs {
    /// The builder these options describe (reads the catalogue file, checks
    /// the rates).
    pub fn into_builder(self) -> Result<SimulatorBuilder, SimError> {
        let faults = FaultProfile {
            fail_rate: self.fail_rate,
            reset_rate: self.reset_rate,
            post_fail_rate: self.post_fail_rate,
            post_lost_reply_rate: self.post_lost_reply_rate,
            latency: Duration::from_millis(self.latency_ms),
        };
        faults.validate()?;
        let mut builder = Simulator::builder()
            .addr(self.addr)
            .token_ttl(Duration::from_secs(self.token_ttl))
            .step(Duration::from_millis(self.step_ms))
            .rate_limit(self.rate_limit)
            .faults(faults);
        for client in self.clients {
            builder = builder.client(client);
        }
        if let Some(seed) = self.seed {
            builder = builder.seed(seed);
        }
        if let Some(path) = &self.accelerators {
            builder = builder.accelerators(Accelerator::load_file(path)?);
        }
        Ok(builder)
    }
}

/// Runs the simulator until Ctrl-C (or SIGTERM): prints `listening on http://HOST:PORT`
/// as the first line on stdout (the bound address, with the real port),
/// then one line per accepted client and the catalogue, then waits.
///
/// Secrets: the built-in client's secret (`sim-secret`, public) is printed so
/// a demo can be followed; secrets given with `--client` are not printed
/// (the user typed them).
pub async fn run_foreground(args: SimArgs) -> Result<(), SimError> {
    let sim = args.into_builder()?.start().await?;
    {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        writeln!(out, "listening on http://{}", sim.addr())?;
        out.flush()?;
        // The rest is informative: a reader that only wanted the address may
        // have closed the pipe, and the simulator must keep serving then.
        let _ = print_banner(&mut out, &sim);
    }
    wait_for_stop_signal().await?;
    sim.shutdown().await;
    Ok(())
}

/// The lines after the address: accepted clients, catalogue, token endpoint.
fn print_banner(out: &mut impl std::io::Write, sim: &crate::SimHandle) -> std::io::Result<()> {
    for client in sim.clients() {
        let secret = if client.id() == DEFAULT_CLIENT_ID && client.secret() == DEFAULT_CLIENT_SECRET
        {
            format!("secret {DEFAULT_CLIENT_SECRET}")
        } else {
            "secret as given".to_string()
        };
        let permissions = if client.granted().is_empty() {
            "(none)".to_string()
        } else {
            client.granted().join(", ")
        };
        writeln!(
            out,
            "client {} ({secret}) permissions: {permissions}; submittedBy {}",
            client.id(),
            client.user_id()
        )?;
    }
    writeln!(out, "accelerators: {}", sim.accelerator_ids().join(", "))?;
    writeln!(
        out,
        "token endpoint: {}; press Ctrl-C to stop",
        sim.token_url()
    )?;
    out.flush()
}

/// Waits for Ctrl-C (SIGINT), or SIGTERM on Unix.
async fn wait_for_stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
