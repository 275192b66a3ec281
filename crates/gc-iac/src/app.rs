//! The commands: parse has happened; call the library; render.

use std::net::SocketAddr;

use futures_util::StreamExt;
use genesys_iac::{Client, Job, JobSpec, JobStatus, Region, SortBy, SortOrder, WaitOptions};
use genesys_iac_sim::{SimHandle, Simulator};

use crate::cli::{
    Cli, Command, GlobalArgs, HistoryArgs, JobArgs, Order, OutputFormat, SortField, WaitFlags,
};
use crate::error::{CliError, Exit};
use crate::jobfile;
use crate::output::{self, print_json, write_stdout};
use crate::progress::Progress;

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<Exit, CliError> {
    let g = &cli.global;
    match &cli.command {
        Command::Schema => {
            print_json(&job_file_schema())?;
            Ok(Exit::Success)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "gc-iac", &mut buf);
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(Exit::Success)
        }
        Command::Sim(args) => {
            genesys_iac_sim::run_foreground(args.clone())
                .await
                .map_err(|e| CliError::usage(format!("simulator: {e}")))?;
            Ok(Exit::Success)
        }
        Command::Run(args) => {
            let spec = job_spec(&args.job, args.dry_run)?;
            let session = Session::connect(g).await?;
            submit(&session, g, &spec, args.wait.then_some(&args.wait_flags)).await
        }
        Command::Plan(args) => {
            let spec = job_spec(&args.job, true)?;
            let session = Session::connect(g).await?;
            submit(&session, g, &spec, Some(&args.wait_flags)).await
        }
        Command::Status(args) => {
            let session = Session::connect(g).await?;
            let job = session
                .client
                .job(&args.job_id)
                .details(args.details)
                .send()
                .await?;
            match g.output {
                OutputFormat::Json => print_json(job.raw())?,
                OutputFormat::Table if g.quiet => write_stdout(&format!("{}\n", job.status()))?,
                OutputFormat::Table => {
                    let mut text = output::job_table(&job);
                    if args.details {
                        text.push_str(&output::job_outputs(&job));
                    }
                    write_stdout(&text)?;
                }
            }
            Ok(Exit::Success)
        }
        Command::Wait(args) => {
            let session = Session::connect(g).await?;
            wait_and_report(&session, g, &args.job_id, &args.wait_flags).await
        }
        Command::History(args) => {
            let session = Session::connect(g).await?;
            history(&session, g, args).await
        }
    }
}

/// What a job file looks like, for people and editors.
const JOB_FILE_DESCRIPTION: &str = "A gc-iac job file (YAML or JSON): the accelerator to run, \
whether it is a dry run (plan only), and its parameters by name. Parameter values are strings; \
numbers and booleans are accepted and sent as strings. Unknown fields and duplicate parameter \
names are rejected. Flags of `gc-iac run` override the file.";

/// The JSON Schema of the job file, with a description written for its
/// readers (the library type's doc comment is written for Rust users).
fn job_file_schema() -> serde_json::Value {
    let generated = schemars::schema_for!(JobSpec);
    let Some(fields) = generated.as_object() else {
        return generated.to_value();
    };
    // `$schema`, `title` and `description` first, then the rest as generated.
    let mut out = serde_json::Map::new();
    for key in ["$schema", "title"] {
        if let Some(v) = fields.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("description".into(), JOB_FILE_DESCRIPTION.into());
    for (k, v) in fields {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    serde_json::Value::Object(out)
}

/// The spec to submit, from the job file and flags.
fn job_spec(args: &JobArgs, dry_run: bool) -> Result<JobSpec, CliError> {
    let file = match &args.file {
        Some(path) => Some(jobfile::read_job_file(path)?),
        None => None,
    };
    jobfile::merge(file, args.accelerator_id.as_deref(), &args.params, dry_run)
}

/// A connected client, and the in-process simulator when `--sim` is on.
struct Session {
    client: Client,
    // Kept alive for the duration of the command.
    _sim: Option<SimHandle>,
}

/// What to do when credentials are missing (names the variables, offers --sim).
const NO_CREDENTIALS_HINT: &str = "set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET (or GENESYSCLOUD_ACCESS_TOKEN), or pass --client-id and --client-secret; to try gc-iac without a Genesys org, add --sim";

impl Session {
    /// Starts the in-process simulator (`--sim`), or checks the credentials
    /// and region and builds a client for the real service.
    async fn connect(g: &GlobalArgs) -> Result<Self, CliError> {
        if g.sim {
            let addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
            let sim = Simulator::builder()
                .addr(addr)
                .start()
                .await
                .map_err(|e| CliError::usage(format!("cannot start the simulator: {e}")))?;
            tracing::info!(base_url = %sim.base_url(), "started the in-process simulator");
            let client = Client::builder()
                .base_url(sim.base_url())
                .client_credentials(
                    genesys_iac_sim::DEFAULT_CLIENT_ID,
                    genesys_iac_sim::DEFAULT_CLIENT_SECRET,
                )
                .build()?;
            return Ok(Self {
                client,
                _sim: Some(sim),
            });
        }

        // Credentials first: without them nothing works, and the hint
        // offers --sim.
        let has_credentials =
            g.access_token.is_some() || (g.client_id.is_some() && g.client_secret.is_some());
        if !has_credentials {
            return Err(missing_credentials(g));
        }
        let mut builder = Client::builder();
        match (&g.base_url, &g.region) {
            (Some(url), _) => builder = builder.base_url(url.as_str()),
            (None, Some(region)) => {
                let region: Region = region.parse().map_err(|e| {
                    CliError::usage(format!("invalid --region/GENESYSCLOUD_REGION: {e}"))
                })?;
                builder = builder.region(region);
            }
            (None, None) => {
                return Err(CliError::usage("no region: set GENESYSCLOUD_REGION or pass --region (or --base-url)")
                    .hint("region keys look like us-east-1, eu-west-1, ap-southeast-2; to try gc-iac without a Genesys org, add --sim"));
            }
        }
        if let Some(login) = &g.login_url {
            builder = builder.login_url(login.as_str());
        }
        builder = match (&g.access_token, &g.client_id, &g.client_secret) {
            (Some(token), _, _) => builder.access_token(token.as_str()),
            (None, Some(id), Some(secret)) => {
                builder.client_credentials(id.as_str(), secret.as_str())
            }
            _ => return Err(missing_credentials(g)),
        };
        Ok(Self {
            client: builder.build()?,
            _sim: None,
        })
    }
}

/// The error for absent or half-given credentials.
fn missing_credentials(g: &GlobalArgs) -> CliError {
    let message = match (&g.client_id, &g.client_secret) {
        (Some(_), None) => {
            "no client secret: GENESYSCLOUD_OAUTHCLIENT_SECRET (or --client-secret) is not set"
        }
        (None, Some(_)) => "no client id: GENESYSCLOUD_OAUTHCLIENT_ID (or --client-id) is not set",
        _ => {
            "no credentials: GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET are not set"
        }
    };
    CliError::usage(message).hint(NO_CREDENTIALS_HINT)
}

/// Submits `spec`; prints the new job, or waits for it when `wait` is set.
async fn submit(
    session: &Session,
    g: &GlobalArgs,
    spec: &JobSpec,
    wait: Option<&WaitFlags>,
) -> Result<Exit, CliError> {
    let job = session.client.submit(spec).await?;
    tracing::info!(job_id = %job.id(), "submitted");
    match wait {
        None => {
            match g.output {
                OutputFormat::Json => print_json(job.raw())?,
                OutputFormat::Table if g.quiet => write_stdout(&format!("{}\n", job.id()))?,
                OutputFormat::Table => {
                    write_stdout(&format!("{}\n", job.id()))?;
                    eprintln!(
                        "submitted {} of {} as job {}; follow it with `gc-iac wait {}`",
                        output::mode(&job),
                        spec.accelerator_id(),
                        job.id(),
                        job.id()
                    );
                }
            }
            Ok(Exit::Success)
        }
        Some(flags) => wait_and_report(session, g, job.id(), flags).await,
    }
}

/// The library's waiting options from `--timeout` and `--poll-interval`.
fn wait_options(flags: &WaitFlags) -> WaitOptions {
    WaitOptions::default()
        .timeout(flags.timeout)
        .poll_interval(flags.poll_interval)
        .max_interval(flags.poll_interval.saturating_mul(10))
}

/// Resolves on Ctrl-C (SIGINT). The handler is installed when this is
/// called, not when the future is first polled; if it cannot be installed,
/// the future never resolves (and Ctrl-C keeps its default effect).
fn interrupted() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listener = signal(SignalKind::interrupt());
        async move {
            match listener {
                Ok(mut sig) => {
                    sig.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Waits with progress, handles Ctrl-C, prints the summary and results.
async fn wait_and_report(
    session: &Session,
    g: &GlobalArgs,
    job_id: &str,
    flags: &WaitFlags,
) -> Result<Exit, CliError> {
    let mut progress = Progress::new(job_id, g.quiet, g.no_progress);
    let stream = session.client.watch(job_id, wait_options(flags));
    let mut stream = std::pin::pin!(stream);
    let mut last: Option<Job> = None;
    // Installed now, once for the whole wait: a Ctrl-C right after the first
    // progress line, or between two polls, is not lost.
    let ctrl_c = interrupted();
    let mut ctrl_c = std::pin::pin!(ctrl_c);
    let outcome = loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(Ok(job)) => {
                    progress.observe(&job);
                    let done = job.status().is_terminal();
                    last = Some(job);
                    if done {
                        break Ok(());
                    }
                }
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            _ = &mut ctrl_c => {
                progress.finish();
                eprintln!(
                    "interrupted: job {job_id} keeps running remotely; resume with `gc-iac wait {job_id}`"
                );
                return Ok(Exit::Interrupted);
            }
        }
    };
    progress.finish();
    outcome?;
    let Some(job) = last else {
        return Err(CliError {
            exit: Exit::Api,
            message: format!("job {job_id}: the wait ended without observing the job"),
            hints: Vec::new(),
        });
    };
    // The final observation may lack details (results); fetch them once.
    let job = if job.results().is_none() && job.error_info().is_none() {
        session.client.job(job_id).details(true).send().await?
    } else {
        job
    };
    let exit = if job.status().is_success() {
        Exit::Success
    } else if job.status().is_terminal() {
        Exit::JobNotSuccessful
    } else {
        // An unknown status the waiter gave up on: neither success nor failure.
        Exit::JobNotSuccessful
    };
    match g.output {
        OutputFormat::Json => print_json(job.raw())?,
        OutputFormat::Table if g.quiet => write_stdout(&format!("{}\n", job.id()))?,
        OutputFormat::Table => {
            let summary = format!(
                "job {} ended {} after {:.1}s ({} of {})\n",
                job.id(),
                job.status(),
                progress.elapsed().as_secs_f64(),
                output::mode(&job),
                job.accelerator_id().unwrap_or("?"),
            );
            write_stdout(&format!("{summary}{}", output::job_outputs(&job)))?;
        }
    }
    Ok(exit)
}

/// `gc-iac history`: the filters and sort, then a table, ids or JSON.
async fn history(session: &Session, g: &GlobalArgs, args: &HistoryArgs) -> Result<Exit, CliError> {
    let mut req = session
        .client
        .history()
        .limit(args.limit)
        .include_errors(args.include_errors);
    if let Some(s) = &args.status {
        req = req.status(JobStatus::from_wire(s));
    }
    if let Some(a) = &args.accelerator {
        req = req.accelerator_id(a.as_str());
    }
    if let Some(u) = &args.submitted_by {
        req = req.submitted_by(u.as_str());
    }
    if let Some(f) = args.sort_by {
        req = req.sort_by(match f {
            SortField::Id => SortBy::Id,
            SortField::DateSubmitted => SortBy::DateSubmitted,
            SortField::SubmittedBy => SortBy::SubmittedBy,
            SortField::Status => SortBy::Status,
            SortField::AcceleratorId => SortBy::AcceleratorId,
        });
    }
    if let Some(o) = args.order {
        req = req.sort_order(match o {
            Order::Asc => SortOrder::Asc,
            Order::Desc => SortOrder::Desc,
        });
    }
    let jobs = req.send().await?;
    match g.output {
        OutputFormat::Json => {
            let raw: Vec<_> = jobs.iter().map(Job::raw).collect();
            print_json(&raw)?;
        }
        OutputFormat::Table if g.quiet => {
            let ids: String = jobs.iter().map(|j| format!("{}\n", j.id())).collect();
            write_stdout(&ids)?;
        }
        OutputFormat::Table => write_stdout(&output::history_table(&jobs, args.include_errors))?,
    }
    Ok(Exit::Success)
}
