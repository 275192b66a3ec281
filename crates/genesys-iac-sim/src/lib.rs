//! A faithful local simulator of the Genesys Cloud infrastructure-as-code
//! jobs service: the three job operations, the OAuth client-credentials
//! token endpoint, permissions, the job lifecycle, rate limits and injected
//! faults, on loopback.
//!
//! It serves the wire types generated from the project's OpenAPI fragment
//! (`genesys_iac_client::types`), so the simulator and the spec cannot drift
//! apart, and it is tested with the official Genesys Python SDK as a client.
//! Use it for demos, offline development and in test suites; the binary
//! `gc-iac-sim` runs it from the command line.
//!
//! # Starting it in a test
//!
//! ```
//! use std::time::Duration;
//! use genesys_iac_sim::{Simulator, OAuthClient};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Simulator::builder()
//!     .client(OAuthClient::new("id", "secret"))
//!     .step(Duration::from_millis(50))
//!     .start()
//!     .await?;
//! // Point a client at `sim.base_url()`; the token endpoint is
//! // `sim.base_url() + "/oauth/token"` (same origin).
//! assert!(sim.base_url().starts_with("http://127.0.0.1:"));
//! let token = sim.issue_token("id").expect("a configured client");
//! assert!(!token.is_empty());
//! assert_eq!(sim.stats().total_requests, 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - `POST /oauth/token`: HTTP Basic client authentication and a form body
//!   `grant_type=client_credentials`; answers
//!   `{"access_token","token_type":"bearer","expires_in"}`, or an OAuth error
//!   body `{"error","description","error_description"}` (401
//!   `invalid_client`, 400 `invalid_request` / `unsupported_grant_type`).
//! - The job operations need a bearer token: none gives 401
//!   `authentication.required`, an unknown one 401 `bad.credentials`, an
//!   expired one 401 `credentials.expired`; a missing permission 403
//!   `missing.permissions`. Every error is an `ErrorBody` whose `contextId`
//!   equals the `inin-correlation-id` header every response carries.
//! - A job goes `Created` → `Queued` → `Running` → terminal, one step each
//!   (computed from its age: no task per job). `results`, `errorInfo` and
//!   `rollbackResults` appear only with `details=true`; in history
//!   `errorInfo` only with `includeErrors=true`, and never `results`.
//! - History: filters `acceleratorId`, `submittedBy`, `status`; `sortBy`,
//!   `sortOrder` (default `dateSubmitted` `desc`); `maxResults` from 1 to
//!   100. A single job object when `maxResults` is 1 or absent and a job
//!   matches; otherwise an entity listing (also when nothing matches:
//!   `{"entities":[],"total":0,...}`).
//! - Input checks: 415 on a Content-Type other than JSON, 413 over 1 MiB, 400
//!   `bad.request` on bad JSON or an unknown `acceleratorId`, 400
//!   `invalid.value` on a bad enum, boolean or number in the query (enums
//!   and booleans match case-insensitively; empty values count as absent;
//!   unknown parameters are ignored), 404 `not.found` on an unknown job,
//!   408 `request.timeout` when a body takes over 30 s to arrive.
//! - Faults ([`FaultProfile`]), a per-client rate limit (429
//!   `too.many.requests` with `Retry-After`), retention of at most
//!   [`SimulatorBuilder::retention`] jobs.
#![deny(missing_docs)]

mod accelerator;
mod cli;
mod config;
mod server;
mod state;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use genesys_iac_client::types::InfrastructureascodeJob;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use accelerator::{Accelerator, ApplyOutcome, ParameterSpec};
pub use cli::{SimArgs, run_foreground};
pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FaultProfile, OAuthClient, PERMISSION_ADD,
    PERMISSION_VIEW, SimError,
};
pub use state::{RecordedRequest, Stats, faults, routes};

use state::{Config, Shared};

/// The default lifecycle step: a job ends about 1.2 s after it is created.
pub const DEFAULT_STEP: Duration = Duration::from_millis(400);
/// The default token lifetime (as the service: 86399 seconds).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(86399);
/// The default number of stored jobs (oldest dropped first).
pub const DEFAULT_RETENTION: usize = 10_000;

/// Entry point: [`Simulator::builder`].
#[derive(Debug)]
pub struct Simulator {
    _private: (),
}

impl Simulator {
    /// A builder with the defaults: one client `sim-client` / `sim-secret`
    /// with both permissions, the built-in catalogue, a 400 ms step, no rate
    /// limit, no faults, listening on `127.0.0.1:0`.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }
}

/// Configures and starts a simulator (see [`Simulator::builder`]).
#[derive(Clone, Debug)]
pub struct SimulatorBuilder {
    clients: Vec<OAuthClient>,
    token_ttl: Duration,
    step: Duration,
    rate_limit: Option<u32>,
    faults: FaultProfile,
    seed: Option<u64>,
    accelerators: Option<Vec<Accelerator>>,
    retention: usize,
    addr: SocketAddr,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            token_ttl: DEFAULT_TOKEN_TTL,
            step: DEFAULT_STEP,
            rate_limit: None,
            faults: FaultProfile::default(),
            seed: None,
            accelerators: None,
            retention: DEFAULT_RETENTION,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        }
    }
}

impl SimulatorBuilder {
    /// Adds an accepted OAuth client. Without any, the simulator accepts
    /// [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`] with both
    /// permissions.
    pub fn client(mut self, client: OAuthClient) -> Self {
        self.clients.push(client);
        self
    }

    /// How long issued tokens stay valid (at least one second; default
    /// 86399 s). `expires_in` reports it in whole seconds.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// The lifecycle step: a job is `Created` for one step, `Queued` for
    /// one, `Running` for one, then terminal. Zero makes jobs end at once.
    pub fn step(mut self, step: Duration) -> Self {
        self.step = step;
        self
    }

    /// Requests per minute per OAuth client on the job operations (fixed
    /// one-minute windows); `None` (the default) turns the limit off.
    pub fn rate_limit(mut self, per_minute: Option<u32>) -> Self {
        self.rate_limit = per_minute;
        self
    }

    /// The faults to inject (default: none).
    pub fn faults(mut self, faults: FaultProfile) -> Self {
        self.faults = faults;
        self
    }

    /// Seeds the fault generator, making a sequential run reproducible.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Replaces the built-in catalogue ([`Accelerator::builtin`]).
    pub fn accelerators(mut self, accelerators: Vec<Accelerator>) -> Self {
        self.accelerators = Some(accelerators);
        self
    }

    /// The maximum number of stored jobs; the oldest are dropped first
    /// (default 10,000).
    pub fn retention(mut self, max_jobs: usize) -> Self {
        self.retention = max_jobs;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, any free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    fn into_config(self) -> Result<(Config, Option<u64>, SocketAddr), SimError> {
        self.faults.validate()?;
        if self.token_ttl < Duration::from_secs(1) {
            return Err(SimError::Config(
                "the token lifetime must be at least one second".into(),
            ));
        }
        if self.retention == 0 {
            return Err(SimError::Config(
                "the retention must keep at least one job".into(),
            ));
        }
        if self.rate_limit == Some(0) {
            return Err(SimError::Config(
                "the rate limit must be at least 1 request per minute (None turns it off)".into(),
            ));
        }
        let clients = if self.clients.is_empty() {
            vec![OAuthClient::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)]
        } else {
            self.clients
        };
        for (i, client) in clients.iter().enumerate() {
            if client.id().is_empty() || client.secret().is_empty() {
                return Err(SimError::Config(
                    "a client has an empty id or secret".into(),
                ));
            }
            if clients[..i].iter().any(|c| c.id() == client.id()) {
                return Err(SimError::Config(format!(
                    "client {:?} is configured twice",
                    client.id()
                )));
            }
        }
        let catalogue = self.accelerators.unwrap_or_else(Accelerator::builtin);
        accelerator::validate_catalogue(&catalogue).map_err(SimError::Config)?;
        let accelerators: HashMap<String, Accelerator> =
            catalogue.into_iter().map(|a| (a.id.clone(), a)).collect();
        let user_ids = clients.iter().map(OAuthClient::user_id).collect();
        let config = Config {
            clients,
            user_ids,
            token_ttl: self.token_ttl,
            step: self.step,
            rate_limit: self.rate_limit,
            faults: self.faults,
            accelerators,
            retention: self.retention,
        };
        Ok((config, self.seed, self.addr))
    }

    /// Checks the settings, binds the address and starts serving on the
    /// current tokio runtime.
    pub async fn start(self) -> Result<SimHandle, SimError> {
        let (config, seed, addr) = self.into_config()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let shared = Arc::new(Shared::new(config, seed));
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(SimHandle {
            addr: local,
            shared,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// A stored job and the parameters it was submitted with
/// ([`SimHandle::submissions`]).
#[derive(Debug, Clone)]
pub struct Submission {
    /// The job as `GET .../jobs/{id}?details=true` would return it now.
    pub job: InfrastructureascodeJob,
    /// The submitted parameters, by name (at most the first 64 names, and
    /// the first 1 KiB of each name and value, to bound memory).
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// A running simulator. Dropping it stops the server (best effort, without
/// waiting); [`SimHandle::shutdown`] stops it and waits.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The base URL, `http://HOST:PORT` without a trailing slash. An
    /// unspecified listen address (`0.0.0.0`, `::`) is shown as loopback, so
    /// the URL is always connectable from this machine.
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The token endpoint: `base_url() + "/oauth/token"`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url())
    }

    /// The address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Every stored job (oldest first) with its current status and full
    /// details (`results`, `errorInfo`, `rollbackResults` once ended).
    pub fn jobs(&self) -> Vec<InfrastructureascodeJob> {
        self.shared.all_jobs()
    }

    /// Every stored job (oldest first) with the parameters it was submitted
    /// with: what a test needs to match the simulator's records to its own
    /// submissions (e.g. by a unique parameter value).
    pub fn submissions(&self) -> Vec<Submission> {
        self.shared.all_submissions()
    }

    /// The last 1000 requests received, oldest first.
    pub fn recent_requests(&self) -> Vec<RecordedRequest> {
        self.shared.recent()
    }

    /// Mints a valid bearer token for the configured client `client_id`
    /// (not counted in [`Stats::tokens_issued`]); `None` for an unknown
    /// client.
    pub fn issue_token(&self, client_id: &str) -> Option<String> {
        let index = self.shared.client_index(client_id)?;
        Some(self.shared.mint_token(index))
    }

    /// The accepted clients.
    pub fn clients(&self) -> &[OAuthClient] {
        &self.shared.config.clients
    }

    /// The catalogue's accelerator ids, sorted.
    pub fn accelerator_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.shared.config.accelerators.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Stops accepting connections, lets open ones finish (up to five
    /// seconds) and waits for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
