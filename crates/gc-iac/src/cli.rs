//! Command-line interface definition (clap).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ROOT_EXAMPLES: &str = "\
Examples:
  # Try it without a Genesys org: an in-process simulator
  gc-iac --sim run hello-world -p name=demo --wait

  # Plan (dry run) and wait, against a real org
  export GENESYSCLOUD_OAUTHCLIENT_ID=... GENESYSCLOUD_OAUTHCLIENT_SECRET=...
  gc-iac --region eu-west-1 plan queue-setup -p queueName=Support

  # Apply from a job file, wait at most 20 minutes, JSON for scripts
  gc-iac --region eu-west-1 --output json run -f job.yaml --wait --timeout 20m

  # The last ten failed jobs
  gc-iac --region eu-west-1 history --limit 10 --status Failed

Exit codes:
  0  success (or the job ended Complete)
  1  the job ended in another terminal status (Failed, RollbackComplete, ...)
  2  usage or configuration error (bad flags, no credentials, bad job file)
  3  API, auth or network error, including an unknown submit outcome
  4  timed out waiting for the job
  130 interrupted while waiting (the job keeps running; resume with `gc-iac wait ID`)";

/// Run and inspect Genesys Cloud infrastructure-as-code jobs (CX as Code
/// accelerators run remotely).
#[derive(Debug, Parser)]
#[command(name = "gc-iac", version, about, after_help = ROOT_EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Region key (eu-west-1), domain (mypurecloud.ie) or API URL.
    #[arg(
        long,
        global = true,
        env = "GENESYSCLOUD_REGION",
        value_name = "REGION"
    )]
    pub region: Option<String>,

    /// API base URL; overrides --region (http:// only for loopback).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// OAuth login URL; derived from the API URL when absent.
    #[arg(long, global = true, value_name = "URL")]
    pub login_url: Option<String>,

    /// OAuth client id (client-credentials grant).
    #[arg(
        long,
        global = true,
        env = "GENESYSCLOUD_OAUTHCLIENT_ID",
        value_name = "ID"
    )]
    pub client_id: Option<String>,

    /// OAuth client secret.
    #[arg(
        long,
        global = true,
        env = "GENESYSCLOUD_OAUTHCLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,

    /// A bearer access token to use instead of client credentials.
    #[arg(
        long,
        global = true,
        env = "GENESYSCLOUD_ACCESS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub access_token: Option<String>,

    /// Start the simulator in-process and use it (no credentials needed).
    #[arg(long, global = true)]
    pub sim: bool,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// No progress or summary: only the job id (run, plan, wait), the status
    /// (status), the job ids (history), or the JSON document.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log to stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// No spinner; one plain line per status change instead.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text and tables.
    Table,
    /// Exactly one JSON document, with the API's field names.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Submit a job (apply, or plan with --dry-run); optionally wait for it.
    #[command(after_help = "\
Examples:
  gc-iac --sim run hello-world -p name=demo --wait
  gc-iac run -f job.yaml --wait --timeout 30m
  gc-iac run queue-setup -p queueName=Support -p skills=billing,returns --dry-run

Job file (YAML or JSON; `gc-iac schema` prints its JSON Schema):
  acceleratorId: queue-setup
  dryRun: false
  parameters:
    queueName: Support
    skills: billing,returns")]
    Run(RunArgs),

    /// Plan an accelerator (dry run) and wait for the result: `run --dry-run --wait`.
    #[command(after_help = "\
Examples:
  gc-iac --sim plan hello-world -p name=demo
  gc-iac plan -f job.yaml --output json")]
    Plan(PlanArgs),

    /// Show a job's status (and results with --details).
    #[command(after_help = "\
Examples:
  gc-iac status 6a1b2c3d-0000-4000-8000-000000000001 --details
  gc-iac --output json status 6a1b2c3d-0000-4000-8000-000000000001")]
    Status(StatusArgs),

    /// Wait for a submitted job to end, showing each status change.
    #[command(after_help = "\
Examples:
  gc-iac wait 6a1b2c3d-0000-4000-8000-000000000001 --timeout 20m")]
    Wait(WaitArgs),

    /// List submitted jobs, newest first by default (times in UTC).
    #[command(after_help = "\
Examples:
  gc-iac history --limit 20
  gc-iac history --status Failed --include-errors
  gc-iac history --accelerator queue-setup --sort-by status --order asc --output json")]
    History(HistoryArgs),

    /// Run the simulator in the foreground (same options as gc-iac-sim).
    #[command(after_help = "\
Examples:
  gc-iac sim --addr 127.0.0.1:8787
  gc-iac sim --client viewer:pw:infrastructureascode:job:view --fail-rate 0.1 --seed 7")]
    Sim(genesys_iac_sim::SimArgs),

    /// Print the JSON Schema of the job file (-f).
    #[command(after_help = "\
Examples:
  gc-iac schema > job.schema.json")]
    Schema,

    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  gc-iac completions bash > /etc/bash_completion.d/gc-iac
  gc-iac completions zsh > \"${fpath[1]}/_gc-iac\"
  gc-iac completions fish > ~/.config/fish/completions/gc-iac.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What to submit: an accelerator, parameters, or a job file.
#[derive(Debug, Args, Clone)]
pub struct JobArgs {
    /// The accelerator to run (overrides the job file's acceleratorId).
    #[arg(value_name = "ACCELERATOR_ID")]
    pub accelerator_id: Option<String>,

    /// A parameter (repeatable); overrides the same name in the job file.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// A job file in YAML or JSON (`gc-iac schema` describes it).
    #[arg(short = 'f', long = "file", value_name = "JOB_FILE")]
    pub file: Option<PathBuf>,
}

/// Options for waiting.
#[derive(Debug, Args, Clone)]
pub struct WaitFlags {
    /// Give up waiting after this long (e.g. 90s, 20m, 1h).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout, default_value = "30m")]
    pub timeout: Duration,

    /// First interval between polls; grows up to 10 times this.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "500ms")]
    pub poll_interval: Duration,
}

/// `gc-iac run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub job: JobArgs,

    /// Plan only: make no changes.
    #[arg(long)]
    pub dry_run: bool,

    /// Wait for the job to end and show its result.
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub wait_flags: WaitFlags,
}

/// `gc-iac plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub job: JobArgs,

    #[command(flatten)]
    pub wait_flags: WaitFlags,
}

/// `gc-iac status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The job id.
    pub job_id: String,

    /// Include results and error details.
    #[arg(long)]
    pub details: bool,
}

/// `gc-iac wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The job id.
    pub job_id: String,

    #[command(flatten)]
    pub wait_flags: WaitFlags,
}

/// Fields history can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "camelCase")]
pub enum SortField {
    /// Job id.
    Id,
    /// Submission time.
    DateSubmitted,
    /// Submitting user.
    SubmittedBy,
    /// Status.
    Status,
    /// Accelerator id.
    AcceleratorId,
}

/// Sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// `gc-iac history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many jobs to show (1 to 100).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,

    /// Only jobs in this status (e.g. Complete, Failed, Running).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,

    /// Only jobs of this accelerator.
    #[arg(long, value_name = "ID")]
    pub accelerator: Option<String>,

    /// Only jobs submitted by this user id.
    #[arg(long, value_name = "USER")]
    pub submitted_by: Option<String>,

    /// Sort field.
    #[arg(long, value_enum, value_name = "FIELD")]
    pub sort_by: Option<SortField>,

    /// Sort order.
    #[arg(long, value_enum)]
    pub order: Option<Order>,

    /// Include error messages of failed jobs.
    #[arg(long)]
    pub include_errors: bool,
}

/// Parses `-p NAME=VALUE` (the value may contain `=` and may be empty).
fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// Parses `90s`, `20m`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 90s, 20m, 1h30m)"))
}

/// Parses a wait timeout: a [`parse_duration`] longer than zero.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("the timeout must be longer than zero".into()),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn params_and_durations() {
        assert_eq!(parse_param("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_param("a="), Ok(("a".into(), String::new())));
        assert!(parse_param("=x").is_err());
        assert!(parse_param("novalue").is_err());
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_timeout("0s").is_err());
        assert_eq!(parse_timeout("1s"), Ok(Duration::from_secs(1)));
    }
}
