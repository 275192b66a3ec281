//! The fault soak: many submit-and-wait workflows through `genesys-iac`
//! against a simulator with every fault mode on, then a reconciliation of
//! what the client believes with what the simulator recorded.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use genesys_iac::{Client, Error, JobSpec, JobStatus, RetryPolicy, WaitOptions};
use genesys_iac_sim::{FaultProfile, Simulator};
use serde::Serialize;

/// The parameter that tags each workflow's job, so the simulator's records
/// can be matched to workflows.
const MARKER: &str = "name";

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Number of submit-and-wait workflows.
    pub workflows: usize,
    /// How many run at once.
    pub concurrency: usize,
    /// Seed for the simulator's fault dice.
    pub seed: u64,
    /// Lifecycle step of the simulator.
    pub step: Duration,
    /// Token lifetime (short, so renewal happens mid-run).
    pub token_ttl: Duration,
    /// Requests per minute the simulator allows the client.
    pub rate_limit: u32,
    /// Fault rates.
    pub faults: FaultProfile,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            workflows: 1000,
            concurrency: 50,
            seed: 7,
            step: Duration::from_millis(50),
            token_ttl: Duration::from_secs(5),
            rate_limit: 3000,
            faults: FaultProfile {
                fail_rate: 0.05,
                reset_rate: 0.03,
                post_fail_rate: 0.05,
                post_lost_reply_rate: 0.05,
                latency: Duration::from_millis(2),
            },
        }
    }
}

/// The figures `target/soak/summary.json` holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SoakSummary {
    /// Workflows run.
    pub workflows: usize,
    /// Acknowledged jobs whose final status matches the simulator's record.
    pub completed_correctly: usize,
    /// Acknowledged jobs whose final status does not match (must be 0).
    pub mismatched: usize,
    /// Acknowledged jobs whose wait failed (counted, reported; must be 0).
    pub wait_failed: usize,
    /// Submissions the client reported as of unknown outcome.
    pub unknown_outcome: usize,
    /// Of those, how many the simulator did create.
    pub unknown_outcome_created: usize,
    /// Submissions the client reported as failed for certain.
    pub definite_failures: usize,
    /// Jobs the simulator holds beyond one per workflow.
    pub duplicates: usize,
    /// Jobs the simulator created that the client neither acknowledged nor
    /// reported as of unknown outcome.
    pub lost: usize,
    /// Workflow tasks that panicked.
    pub panics: usize,
    /// Requests the simulator received.
    pub requests: u64,
    /// Token requests among them.
    pub token_requests: u64,
    /// Faults the simulator injected, by kind.
    pub injected_faults: u64,
    /// Faults by kind.
    pub faults_by_kind: std::collections::BTreeMap<String, u64>,
    /// Wall-clock duration.
    pub duration_s: f64,
    /// The seed used.
    pub seed: u64,
    /// Whether every promise held.
    pub passed: bool,
}

enum Outcome {
    Acknowledged {
        id: String,
        status: Result<JobStatus, String>,
    },
    Unknown,
    Failed(String),
}

/// Runs the soak and reconciles.
pub async fn run(
    cfg: &SoakConfig,
) -> Result<SoakSummary, Box<dyn std::error::Error + Send + Sync>> {
    let sim = Simulator::builder()
        .addr("127.0.0.1:0".parse()?)
        .seed(cfg.seed)
        .step(cfg.step)
        .token_ttl(cfg.token_ttl)
        .rate_limit(Some(cfg.rate_limit))
        .faults(cfg.faults)
        .retention(cfg.workflows * 3 + 100)
        .start()
        .await?;
    let client = Client::builder()
        .base_url(sim.base_url())
        .client_credentials(
            genesys_iac_sim::DEFAULT_CLIENT_ID,
            genesys_iac_sim::DEFAULT_CLIENT_SECRET,
        )
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(12)
                .max_elapsed(Some(Duration::from_secs(120))),
        )
        .build()?;

    let started = Instant::now();
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..cfg.workflows {
        let client = client.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let marker = format!("soak-{i}");
            // A mix of plans, applies and a failing accelerator.
            let (accelerator, dry_run) = match i % 4 {
                0 => ("hello-world", true),
                1 => ("hello-world", false),
                2 => ("broken-apply", false),
                _ => ("queue-setup", false),
            };
            let spec = match JobSpec::builder(accelerator)
                .parameter(MARKER, &marker)
                .parameter("queueName", "Soak")
                .dry_run(dry_run)
                .build()
            {
                Ok(s) => s,
                Err(e) => return (marker, Outcome::Failed(e.to_string())),
            };
            let outcome = match client.submit(&spec).await {
                Ok(job) => {
                    let id = job.id().to_string();
                    let opts = WaitOptions::default()
                        .timeout(Duration::from_secs(300))
                        .poll_interval(Duration::from_millis(100))
                        .max_interval(Duration::from_secs(1));
                    let status = client
                        .wait(&id, opts)
                        .await
                        .map(|j| j.status().clone())
                        .map_err(|e| e.to_string());
                    Outcome::Acknowledged { id, status }
                }
                Err(Error::UnknownOutcome { .. }) => Outcome::Unknown,
                Err(e) => Outcome::Failed(e.to_string()),
            };
            (marker, outcome)
        });
    }

    let mut outcomes: HashMap<String, Outcome> = HashMap::new();
    let mut panics = 0usize;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((marker, outcome)) => {
                outcomes.insert(marker, outcome);
            }
            Err(e) if e.is_panic() => panics += 1,
            Err(_) => panics += 1,
        }
    }
    let duration = started.elapsed();

    // Reconcile with the simulator's records.
    let mut by_marker: HashMap<String, Vec<(String, JobStatus)>> = HashMap::new();
    for sub in sim.submissions() {
        let job = sub.job;
        let marker = sub.parameters.get(MARKER).cloned().unwrap_or_default();
        let status = job
            .status
            .clone()
            .unwrap_or(JobStatus::Unknown(String::new()));
        by_marker
            .entry(marker)
            .or_default()
            .push((job.id.clone().unwrap_or_default(), status));
    }

    let mut s = SoakSummary {
        workflows: cfg.workflows,
        panics,
        seed: cfg.seed,
        duration_s: duration.as_secs_f64(),
        ..SoakSummary::default()
    };
    for (marker, created) in &by_marker {
        s.duplicates += created.len().saturating_sub(1);
        match outcomes.get(marker) {
            // Extra jobs beside the acknowledged one are duplicates (counted
            // above); an acknowledged id the simulator lacks is a mismatch
            // (counted below).
            Some(Outcome::Acknowledged { .. }) => {}
            Some(Outcome::Unknown) => s.unknown_outcome_created += 1,
            Some(Outcome::Failed(_)) | None => s.lost += created.len(),
        }
    }
    for (marker, outcome) in &outcomes {
        match outcome {
            Outcome::Acknowledged { id, status } => {
                let recorded = by_marker
                    .get(marker)
                    .and_then(|v| v.iter().find(|(cid, _)| cid == id))
                    .map(|(_, st)| st.clone());
                match (status, recorded) {
                    (Ok(st), Some(rec)) if *st == rec && st.is_terminal() => {
                        s.completed_correctly += 1
                    }
                    (Ok(_), _) => s.mismatched += 1,
                    (Err(e), _) => {
                        s.wait_failed += 1;
                        eprintln!("soak: wait for {id} failed: {e}");
                    }
                }
            }
            Outcome::Unknown => s.unknown_outcome += 1,
            Outcome::Failed(e) => {
                s.definite_failures += 1;
                eprintln!("soak: {marker}: {e}");
            }
        }
    }
    let stats = sim.stats();
    s.requests = stats.total_requests;
    s.token_requests = stats.tokens_issued;
    s.injected_faults = stats.total_faults();
    s.faults_by_kind = stats.faults_injected.clone();
    s.passed = s.duplicates == 0
        && s.lost == 0
        && s.panics == 0
        && s.mismatched == 0
        && s.wait_failed == 0
        && s.completed_correctly + s.unknown_outcome + s.definite_failures == s.workflows;
    sim.shutdown().await;
    Ok(s)
}
