//! The simulator's shared state: clients, tokens, jobs, statistics.
//!
//! Every lock here is a `std::sync` lock held for a few statements and never
//! across an `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use genesys_iac_client::JobStatus;
use genesys_iac_client::types::{ErrorInfo, InfrastructureascodeJob, UserReference};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::accelerator::{Accelerator, JobResult};
use crate::config::{FaultProfile, OAuthClient};

/// The base path of the job operations.
pub(crate) const JOBS_PATH: &str = "/api/v2/infrastructureascode/jobs";
/// How many requests [`crate::SimHandle::recent_requests`] keeps.
pub(crate) const RECENT_CAPACITY: usize = 1000;
/// The most bytes of a request target [`RecordedRequest::raw_target`] keeps
/// (longer ones are cut), so the ring holds at most about 8 MiB even when
/// every request carries a near-64 KiB URI.
pub(crate) const RECORDED_TARGET_LIMIT: usize = 8 * 1024;
/// The most bytes of a method [`RecordedRequest::method`] keeps.
const RECORDED_METHOD_LIMIT: usize = 64;
/// How many submitted parameters a stored job keeps (see `submissions()`).
const MAX_KEPT_PARAMETERS: usize = 64;
/// How many bytes of a parameter name or value a stored job keeps.
const MAX_KEPT_VALUE: usize = 1024;

/// How many tokens are remembered (oldest forgotten first).
const TOKEN_CAPACITY: usize = 100_000;

/// `text` cut to at most `limit` bytes, on a char boundary.
fn truncated(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Locks a mutex, ignoring poisoning (state stays usable after a panic in
/// another thread; nothing here leaves it inconsistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The route keys used in [`crate::Stats::requests_by_route`].
pub mod routes {
    /// `POST /oauth/token`.
    pub const TOKEN: &str = "POST /oauth/token";
    /// `GET /api/v2/infrastructureascode/jobs/{jobId}`.
    pub const GET_JOB: &str = "GET /api/v2/infrastructureascode/jobs/{jobId}";
    /// `GET /api/v2/infrastructureascode/jobs`.
    pub const LIST_JOBS: &str = "GET /api/v2/infrastructureascode/jobs";
    /// `POST /api/v2/infrastructureascode/jobs`.
    pub const POST_JOB: &str = "POST /api/v2/infrastructureascode/jobs";
    /// Anything else (unknown paths, wrong methods).
    pub const OTHER: &str = "other";
    /// Every key, in the order of the route index.
    pub const ALL: [&str; 5] = [TOKEN, GET_JOB, LIST_JOBS, POST_JOB, OTHER];
}

/// The fault keys used in [`crate::Stats::faults_injected`].
pub mod faults {
    /// A 500 with a JSON `ErrorBody` (from `fail_rate`).
    pub const FAIL_500: &str = "fail_500";
    /// A 503 with a JSON `ErrorBody` (from `fail_rate`).
    pub const FAIL_503: &str = "fail_503";
    /// A 500 or 503 with an HTML body, as a gateway sends (from `fail_rate`).
    pub const HTML: &str = "html";
    /// A GET connection closed without a reply (from `reset_rate`).
    pub const RESET: &str = "reset";
    /// A job POST answered 503 before creating anything (`post_fail_rate`).
    pub const POST_FAIL: &str = "post_fail";
    /// A job POST that created the job but lost the reply
    /// (`post_lost_reply_rate`).
    pub const POST_LOST_REPLY: &str = "post_lost_reply";
    /// A request refused with 429 by the rate limit.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Every key, in the order of the fault index.
    pub const ALL: [&str; 7] = [
        FAIL_500,
        FAIL_503,
        HTML,
        RESET,
        POST_FAIL,
        POST_LOST_REPLY,
        RATE_LIMITED,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Fail500 = 0,
    Fail503 = 1,
    Html = 2,
    Reset = 3,
    PostFail = 4,
    PostLostReply = 5,
    RateLimited = 6,
}

/// A snapshot of the simulator's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests per route; keys are listed in [`routes`] (every key is
    /// present, with 0 when unused).
    pub requests_by_route: BTreeMap<String, u64>,
    /// All requests received.
    pub total_requests: u64,
    /// Access tokens issued by `POST /oauth/token` (not by
    /// [`crate::SimHandle::issue_token`]).
    pub tokens_issued: u64,
    /// Jobs created (including those whose reply was lost).
    pub jobs_created: u64,
    /// Faults injected per kind; keys are listed in [`faults`] (every key is
    /// present). Each injected fault counts under exactly one key.
    pub faults_injected: BTreeMap<String, u64>,
}

impl Stats {
    /// The sum of [`Stats::faults_injected`].
    pub fn total_faults(&self) -> u64 {
        self.faults_injected.values().sum()
    }

    /// Requests seen on `route` (a key of [`routes`]); 0 when unknown.
    pub fn requests(&self, route: &str) -> u64 {
        self.requests_by_route.get(route).copied().unwrap_or(0)
    }

    /// Faults of kind `kind` (a key of [`faults`]); 0 when unknown.
    pub fn faults(&self, kind: &str) -> u64 {
        self.faults_injected.get(kind).copied().unwrap_or(0)
    }
}

/// One request as received, for [`crate::SimHandle::recent_requests`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// The path and query exactly as received (not decoded), cut to its
    /// first 8 KiB.
    pub raw_target: String,
    /// The route key (see [`routes`]).
    pub route: String,
}

#[derive(Default)]
pub(crate) struct Counters {
    routes: [AtomicU64; 5],
    total: AtomicU64,
    tokens: AtomicU64,
    jobs: AtomicU64,
    faults: [AtomicU64; 7],
}

impl Counters {
    pub(crate) fn request(&self, route_index: usize) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if let Some(c) = self.routes.get(route_index) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn fault(&self, fault: Fault) {
        if let Some(c) = self.faults.get(fault as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn token_issued(&self) {
        self.tokens.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn job_created(&self) {
        self.jobs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests_by_route: routes::ALL
                .iter()
                .zip(&self.routes)
                .map(|(k, v)| (k.to_string(), v.load(Ordering::Relaxed)))
                .collect(),
            total_requests: self.total.load(Ordering::Relaxed),
            tokens_issued: self.tokens.load(Ordering::Relaxed),
            jobs_created: self.jobs.load(Ordering::Relaxed),
            faults_injected: faults::ALL
                .iter()
                .zip(&self.faults)
                .map(|(k, v)| (k.to_string(), v.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

/// A random (version 4) UUID from the thread's user-space generator:
/// `Uuid::new_v4` asks the kernel for every one (a `getrandom` system call
/// per request, as the correlation id of every response is one).
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid()
}

/// A stored job: what it is and how it will end. Its current status is
/// computed from its age, so no task runs per job.
pub(crate) struct JobRecord {
    pub seq: u64,
    pub id: String,
    pub accelerator_id: String,
    pub dry_run: bool,
    pub submitted: DateTime<Utc>,
    pub created: Instant,
    pub user_id: String,
    pub result: JobResult,
    /// The parameters as submitted.
    pub parameters: BTreeMap<String, String>,
    /// The JSON of the plain (`details=false`) wire form for one lifecycle
    /// phase: a job changes at most four times, and a poll loop asks for it
    /// many times in each phase.
    pub wire_cache: Mutex<Option<(u8, Bytes)>>,
}

impl JobRecord {
    /// The lifecycle phase at `now`: 0 Created, 1 Queued, 2 Running, 3 ended.
    fn phase_at(&self, now: Instant, step: Duration) -> u8 {
        if step.is_zero() {
            return 3;
        }
        let steps = now.saturating_duration_since(self.created).as_nanos() / step.as_nanos();
        steps.min(3) as u8
    }

    pub(crate) fn status_at(&self, now: Instant, step: Duration) -> JobStatus {
        self.status_in(self.phase_at(now, step))
    }

    /// The status during lifecycle phase `phase` (see `phase_at`).
    fn status_in(&self, phase: u8) -> JobStatus {
        match phase {
            0 => JobStatus::Created,
            1 => JobStatus::Queued,
            2 => JobStatus::Running,
            _ => self.result.status.clone(),
        }
    }

    /// The JSON of `to_wire(status_at(now), false, false)`, serialized once
    /// per lifecycle phase.
    pub(crate) fn plain_wire_json(
        &self,
        now: Instant,
        step: Duration,
    ) -> serde_json::Result<Bytes> {
        let phase = self.phase_at(now, step);
        let mut cache = self
            .wire_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((cached, bytes)) = cache.as_ref()
            && *cached == phase
        {
            return Ok(bytes.clone());
        }
        let bytes = Bytes::from(serde_json::to_vec(&self.to_wire(
            self.status_in(phase),
            false,
            false,
        ))?);
        *cache = Some((phase, bytes.clone()));
        Ok(bytes)
    }

    /// The wire form. `results` adds `results` and `rollbackResults`;
    /// `errors` adds `errorInfo` (both only once the job has ended).
    pub(crate) fn to_wire(
        &self,
        status: JobStatus,
        results: bool,
        errors: bool,
    ) -> InfrastructureascodeJob {
        let ended = status.is_terminal();
        let error_info = match (&self.result.error, ended && errors) {
            (Some((code, message)), true) => Some(ErrorInfo {
                code: Some(code.clone()),
                message: Some(message.clone()),
            }),
            _ => None,
        };
        InfrastructureascodeJob {
            accelerator_id: Some(self.accelerator_id.clone()),
            date_submitted: Some(self.submitted),
            dry_run: self.dry_run,
            error_info,
            id: Some(self.id.clone()),
            results: if ended && results {
                self.result.results.clone()
            } else {
                None
            },
            rollback_results: if ended && results {
                self.result.rollback.clone()
            } else {
                None
            },
            self_uri: Some(format!("{JOBS_PATH}/{}", self.id)),
            status: Some(status),
            submitted_by: Some(UserReference {
                id: Some(self.user_id.clone()),
                self_uri: Some(format!("/api/v2/users/{}", self.user_id)),
            }),
        }
    }
}

/// Jobs by id, with insertion order for retention.
#[derive(Default)]
pub(crate) struct JobStore {
    pub by_id: HashMap<String, JobRecord>,
    pub order: VecDeque<String>,
    next_seq: u64,
}

impl JobStore {
    pub(crate) fn insert(&mut self, mut job: JobRecord, retention: usize) {
        job.seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back(job.id.clone());
        self.by_id.insert(job.id.clone(), job);
        while self.order.len() > retention {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }
}

pub(crate) struct TokenRecord {
    pub client: usize,
    pub expires: Instant,
}

#[derive(Default)]
pub(crate) struct TokenStore {
    by_token: HashMap<String, TokenRecord>,
    order: VecDeque<String>,
}

pub(crate) enum TokenCheck {
    Valid(usize),
    Expired,
    Unknown,
}

/// One fixed one-minute window of the rate limit.
#[derive(Clone, Copy)]
pub(crate) struct Window {
    start: Instant,
    count: u32,
}

/// Settings fixed at start.
pub(crate) struct Config {
    pub clients: Vec<OAuthClient>,
    pub user_ids: Vec<String>,
    pub token_ttl: Duration,
    pub step: Duration,
    pub rate_limit: Option<u32>,
    pub faults: FaultProfile,
    pub accelerators: HashMap<String, Accelerator>,
    pub retention: usize,
}

pub(crate) struct Shared {
    pub config: Config,
    pub stats: Counters,
    tokens: Mutex<TokenStore>,
    pub jobs: RwLock<JobStore>,
    windows: Mutex<Vec<Option<Window>>>,
    rng: Mutex<SmallRng>,
    recent: Mutex<VecDeque<RecordedRequest>>,
    lost_replies: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: Config, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_os_rng(),
        };
        let clients = config.clients.len();
        Self {
            config,
            stats: Counters::default(),
            tokens: Mutex::new(TokenStore::default()),
            jobs: RwLock::new(JobStore::default()),
            windows: Mutex::new(vec![None; clients]),
            rng: Mutex::new(rng),
            recent: Mutex::new(VecDeque::with_capacity(RECENT_CAPACITY)),
            lost_replies: AtomicU64::new(0),
        }
    }

    /// Draws a number in `[0, 1)` from the (possibly seeded) fault generator.
    pub(crate) fn draw(&self) -> f64 {
        lock(&self.rng).random::<f64>()
    }

    /// Whether a fault with probability `rate` fires (draws only when
    /// `rate > 0`, so a profile without faults consumes nothing).
    pub(crate) fn fires(&self, rate: f64) -> bool {
        rate > 0.0 && self.draw() < rate
    }

    /// Alternates the kind of lost reply: `true` means a 503, `false` a
    /// closed connection.
    pub(crate) fn next_lost_reply_is_503(&self) -> bool {
        self.lost_replies
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(2)
    }

    pub(crate) fn record(&self, method: &str, raw_target: &str, route: &str) {
        let mut ring = lock(&self.recent);
        if ring.len() >= RECENT_CAPACITY {
            ring.pop_front();
        }
        ring.push_back(RecordedRequest {
            method: truncated(method, RECORDED_METHOD_LIMIT),
            raw_target: truncated(raw_target, RECORDED_TARGET_LIMIT),
            route: route.to_string(),
        });
    }

    pub(crate) fn recent(&self) -> Vec<RecordedRequest> {
        lock(&self.recent).iter().cloned().collect()
    }

    pub(crate) fn client_index(&self, id: &str) -> Option<usize> {
        self.config.clients.iter().position(|c| c.id() == id)
    }

    /// Mints a token for client `client`.
    pub(crate) fn mint_token(&self, client: usize) -> String {
        use base64::Engine as _;
        let bytes: [u8; 32] = rand::rng().random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let expires = Instant::now() + self.config.token_ttl;
        let mut store = lock(&self.tokens);
        store.order.push_back(token.clone());
        store
            .by_token
            .insert(token.clone(), TokenRecord { client, expires });
        while store.order.len() > TOKEN_CAPACITY {
            if let Some(old) = store.order.pop_front() {
                store.by_token.remove(&old);
            }
        }
        token
    }

    pub(crate) fn check_token(&self, token: &str) -> TokenCheck {
        let store = lock(&self.tokens);
        match store.by_token.get(token) {
            Some(record) if record.expires > Instant::now() => TokenCheck::Valid(record.client),
            Some(_) => TokenCheck::Expired,
            None => TokenCheck::Unknown,
        }
    }

    /// Counts a request against `client`'s budget; `Err(seconds)` when the
    /// budget of the current minute is spent.
    pub(crate) fn take_rate(&self, client: usize) -> Result<(), u64> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(());
        };
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        let mut windows = lock(&self.windows);
        let Some(slot) = windows.get_mut(client) else {
            return Ok(());
        };
        let current = matches!(slot, Some(w) if now.saturating_duration_since(w.start) < minute);
        if !current {
            *slot = Some(Window {
                start: now,
                count: 0,
            });
        }
        let Some(window) = slot.as_mut() else {
            return Ok(());
        };
        if window.count < limit {
            window.count += 1;
            Ok(())
        } else {
            let left = minute.saturating_sub(now.saturating_duration_since(window.start));
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            Err(secs.max(1))
        }
    }

    /// Stores a new job and returns its record's wire form (as just
    /// created).
    pub(crate) fn create_job(
        &self,
        accelerator: &Accelerator,
        dry_run: bool,
        values: &BTreeMap<String, String>,
        client: usize,
    ) -> InfrastructureascodeJob {
        let result = accelerator.run(dry_run, values);
        let record = JobRecord {
            seq: 0,
            id: random_uuid().to_string(),
            accelerator_id: accelerator.id.clone(),
            dry_run,
            submitted: Utc::now().trunc_subsecs(3),
            created: Instant::now(),
            user_id: self
                .config
                .user_ids
                .get(client)
                .cloned()
                .unwrap_or_default(),
            result,
            // Kept for `submissions()`; bounded so a 1 MiB body of tiny
            // parameters cannot make each stored job megabytes large.
            parameters: values
                .iter()
                .take(MAX_KEPT_PARAMETERS)
                .map(|(k, v)| (truncated(k, MAX_KEPT_VALUE), truncated(v, MAX_KEPT_VALUE)))
                .collect(),
            wire_cache: Mutex::new(None),
        };
        let status = record.status_at(record.created, self.config.step);
        let wire = record.to_wire(status, false, false);
        {
            let mut jobs = self.jobs.write().unwrap_or_else(PoisonError::into_inner);
            jobs.insert(record, self.config.retention);
        }
        self.stats.job_created();
        wire
    }

    /// Every stored job, oldest first, with its current status and all
    /// details.
    pub(crate) fn all_jobs(&self) -> Vec<InfrastructureascodeJob> {
        let now = Instant::now();
        let jobs = self.jobs.read().unwrap_or_else(PoisonError::into_inner);
        jobs.order
            .iter()
            .filter_map(|id| jobs.by_id.get(id))
            .map(|j| j.to_wire(j.status_at(now, self.config.step), true, true))
            .collect()
    }

    /// Every stored job with the parameters it was submitted with.
    pub(crate) fn all_submissions(&self) -> Vec<crate::Submission> {
        let now = Instant::now();
        let jobs = self.jobs.read().unwrap_or_else(PoisonError::into_inner);
        jobs.order
            .iter()
            .filter_map(|id| jobs.by_id.get(id))
            .map(|j| crate::Submission {
                job: j.to_wire(j.status_at(now, self.config.step), true, true),
                parameters: j.parameters.clone(),
            })
            .collect()
    }
}
