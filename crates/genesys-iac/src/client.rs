//! The client, its builder and its request builders.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_core::Stream;
use genesys_iac_client::hooks::Hooks;
use genesys_iac_client::types::{self, ErrorBody};
use tracing::Instrument;

use crate::error::{ApiError, AuthError, Error, TransportError, excerpt};
use crate::policy::{CallState, Policy, call, first_attempt_timeout};
use crate::rate::RateBudget;
use crate::region::{Region, check_base_url, derive_login_url, is_loopback_base, url_to_base};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::token::{Credentials, TokenCache, correlation_id};
use crate::wait::{WaitOptions, watch};
use crate::{Job, JobSpec, JobStatus};

/// Environment variable: OAuth client id.
pub const ENV_CLIENT_ID: &str = "GENESYSCLOUD_OAUTHCLIENT_ID";
/// Environment variable: OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
/// Environment variable: region key, domain or API URL.
pub const ENV_REGION: &str = "GENESYSCLOUD_REGION";
/// Environment variable: a ready-made access token.
pub const ENV_ACCESS_TOKEN: &str = "GENESYSCLOUD_ACCESS_TOKEN";

const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Builds a [`Client`]; see [`Client::builder`] and [`ClientBuilder::from_env`].
///
/// Defaults: connect timeout 10 s, request timeout 30 s (each attempt's
/// timeout is also cut to what remains of the retry policy's time budget),
/// [`RetryPolicy::default`], no rate budget, responses up to 16 MiB, proxies
/// from the environment (`HTTPS_PROXY`, `NO_PROXY`, ...) as reqwest reads
/// them, except for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`: a
/// local simulator), which are always reached directly since a proxy cannot
/// reach this machine's loopback; no redirects followed.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    region: Option<Region>,
    base_url: Option<String>,
    login_url: Option<String>,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    rate_budget: Option<(u32, Duration)>,
    max_in_flight: usize,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
    app_name: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("login_url", &self.login_url)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("rate_budget", &self.rate_budget)
            .field("max_in_flight", &self.max_in_flight)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// An empty builder: set a region (or base URL) and credentials.
    pub fn new() -> Self {
        Self {
            region: None,
            base_url: None,
            login_url: None,
            credentials: None,
            retry: RetryPolicy::default(),
            rate_budget: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            app_name: None,
        }
    }

    /// A builder configured from the environment, which the caller can still
    /// override:
    /// - `GENESYSCLOUD_REGION`: a region key (`eu-west-1`), a domain or an
    ///   API URL; a URL that names no known region (e.g. a local simulator)
    ///   becomes the base URL;
    /// - `GENESYSCLOUD_ACCESS_TOKEN`: a ready-made token (takes precedence);
    /// - else `GENESYSCLOUD_OAUTHCLIENT_ID` and `GENESYSCLOUD_OAUTHCLIENT_SECRET`.
    ///
    /// Fails on an unparsable region or when only one of id and secret is
    /// set. Missing values are left unset (then [`build`](Self::build) says
    /// what is missing).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_vars(|k| std::env::var(k).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`
    /// (for tests and for configuration sources other than the process
    /// environment).
    pub fn from_env_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut b = Self::new();
        if let Some(region) = get(ENV_REGION) {
            match region.parse::<Region>() {
                Ok(r) => b = b.region(r),
                Err(_) if region.contains("://") => b = b.base_url(region.trim()),
                Err(e) => return Err(Error::Config(format!("{ENV_REGION}: {e}"))),
            }
        }
        let id = get(ENV_CLIENT_ID);
        let secret = get(ENV_CLIENT_SECRET);
        if let Some(token) = get(ENV_ACCESS_TOKEN) {
            b = b.access_token(token.trim());
        } else {
            match (id, secret) {
                (Some(id), Some(secret)) => b = b.client_credentials(id.trim(), secret.trim()),
                (Some(_), None) => {
                    return Err(Error::Config(format!(
                        "{ENV_CLIENT_ID} is set but {ENV_CLIENT_SECRET} is not"
                    )));
                }
                (None, Some(_)) => {
                    return Err(Error::Config(format!(
                        "{ENV_CLIENT_SECRET} is set but {ENV_CLIENT_ID} is not"
                    )));
                }
                (None, None) => {}
            }
        }
        Ok(b)
    }

    /// The region: sets the API URL (`https://api.<domain>`) and the login
    /// URL (`https://login.<domain>`).
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Overrides the API base URL (e.g. a simulator on loopback). The login
    /// URL is derived by replacing a leading `api.` of the host with
    /// `login.`, else it is the same origin. Plain `http://` is refused
    /// unless the host is loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Overrides the login (OAuth) base URL; the token endpoint is
    /// `<login_url>/oauth/token`.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = Some(url.into());
        self
    }

    /// Authenticate with the OAuth client-credentials grant. The token is
    /// cached, renewed shortly before it expires, fetched once however many
    /// calls wait for it, and renewed once (with a replay) when the API
    /// answers `401 credentials.expired`.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::ClientCredentials {
            client_id: client_id.into(),
            secret: Secret::new(client_secret),
        });
        self
    }

    /// Authenticate with a ready-made access token (not renewable).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::AccessToken(Secret::new(token)));
        self
    }

    /// The retry policy (default [`RetryPolicy::default`];
    /// [`RetryPolicy::none`] turns retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A budget of requests per minute shared by all clones of the client
    /// (`None`, the default, for no budget). Requests beyond it wait their
    /// turn, so many concurrent waiters stay under the organisation's rate
    /// limit instead of provoking `429` storms. Token requests are not
    /// counted.
    pub fn rate_budget(mut self, per_minute: Option<u32>) -> Self {
        self.rate_budget = per_minute.map(|n| (n, Duration::from_secs(60)));
        self
    }

    /// Like [`rate_budget`](Self::rate_budget) with a window other than a
    /// minute: at most `limit` requests in any window of length `per`.
    pub fn rate_budget_per(mut self, limit: u32, per: Duration) -> Self {
        self.rate_budget = Some((limit, per));
        self
    }

    /// The most requests this client (and its clones) has on the wire at
    /// once (default 64); more wait their turn. Each request in flight holds
    /// a connection, so this also bounds connections and their buffers when
    /// thousands of tasks share one client. `0` is taken as 1.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// The TCP/TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// The timeout of one attempt, including reading the body (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// The largest response body accepted (default 16 MiB); larger ones give
    /// [`Error::BodyTooLarge`].
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// A product token appended to the `User-Agent`
    /// (`genesys-iac/<version> <app_name>`).
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// Builds the client. Fails with [`Error::Config`] when no region or
    /// base URL or no credentials are set, or a URL is invalid or plain
    /// `http://` to a non-loopback host. Sends nothing.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(format!(
                "no credentials: call client_credentials(..) or access_token(..), or set \
                 {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (or {ENV_ACCESS_TOKEN})"
            ))
        })?;
        let (base_url, derived_login) = match (&self.base_url, self.region) {
            (Some(raw), _) => {
                let url = check_base_url("base URL", raw)?;
                (url_to_base(&url), derive_login_url(&url))
            }
            (None, Some(region)) => (region.api_url(), region.login_url()),
            (None, None) => {
                return Err(Error::Config(format!(
                    "no region: call region(..) or base_url(..), or set {ENV_REGION} \
                     (e.g. eu-west-1)"
                )));
            }
        };
        let login_url = match &self.login_url {
            Some(raw) => url_to_base(&check_base_url("login URL", raw)?),
            None => derived_login,
        };
        let user_agent = match &self.app_name {
            Some(app) => reqwest::header::HeaderValue::try_from(format!("{USER_AGENT} {app}"))
                .map_err(|_| {
                    Error::Config(format!(
                        "the app name {app:?} cannot be sent in a User-Agent header"
                    ))
                })?,
            // Static: copied into every request without reference counting.
            None => reqwest::header::HeaderValue::from_static(USER_AGENT),
        };
        let client_timeout = first_attempt_timeout(&self.retry, self.request_timeout);
        // A proxy from the environment cannot reach this machine's loopback
        // (a simulator): loopback hosts are always reached directly.
        let http_client = |direct: bool| {
            let builder = reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(client_timeout)
                .user_agent(user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                // The policy retries; reqwest's own layer (HTTP/2 protocol
                // refusals only, and this build has no HTTP/2) would copy
                // every request in case, unless allowed no retry at all.
                .retry(reqwest::retry::never().max_retries_per_request(0));
            if direct { builder.no_proxy() } else { builder }
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
        };
        let (api_direct, login_direct) =
            (is_loopback_base(&base_url), is_loopback_base(&login_url));
        let http = http_client(api_direct)?;
        let login_http = if login_direct == api_direct {
            http.clone()
        } else {
            http_client(login_direct)?
        };
        let auth = Arc::new(TokenCache::new(
            credentials,
            login_url.clone(),
            login_http,
            self.retry.clone(),
            self.request_timeout,
        )?);
        let policy = Arc::new(Policy {
            auth: auth.clone(),
            retry: self.retry.clone(),
            budget: self
                .rate_budget
                .map(|(n, per)| Arc::new(RateBudget::new(n, per))),
            request_timeout: self.request_timeout,
            client_timeout,
            max_body_bytes: self.max_body_bytes,
            in_flight: Arc::new(tokio::sync::Semaphore::new(self.max_in_flight)),
        });
        let api = genesys_iac_client::Client::new_with_client(
            &base_url,
            http,
            Hooks::with_policy(policy),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                base_url,
                auth,
                retry: self.retry,
                rate_budget: self.rate_budget,
            }),
        })
    }
}

/// Requests on the wire at once per client, by default.
const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// The client: cheap to clone (an `Arc`), shareable across tasks; clones
/// share the token cache and the rate budget.
///
/// Made by [`Client::builder`] or [`ClientBuilder::from_env`]. See the
/// [crate documentation](crate) for a guide.
///
/// On a multi-threaded tokio runtime, the connections run as tasks on its
/// worker threads. A call made from the thread that called
/// `Runtime::block_on` (the body of `#[tokio::main] async fn main`) hands
/// its request to a worker and waits to be woken with the answer; for a
/// latency-sensitive loop, run it in a spawned task (or on a current-thread
/// runtime), where the call and its connection share a thread.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    api: genesys_iac_client::Client,
    base_url: String,
    auth: Arc<TokenCache>,
    retry: RetryPolicy,
    rate_budget: Option<(u32, Duration)>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("login_url", &self.inner.auth.login_url())
            .field("credentials", &self.inner.auth.describe())
            .field("retry", &self.inner.retry)
            .field("rate_budget", &self.inner.rate_budget)
            .finish_non_exhaustive()
    }
}

/// Which operation a call is, for messages and permissions.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Operation {
    GetJob,
    History,
    Submit,
}

impl Operation {
    fn describe(self) -> &'static str {
        match self {
            Operation::GetJob => "get job (GET /api/v2/infrastructureascode/jobs/{jobId})",
            Operation::History => "get job history (GET /api/v2/infrastructureascode/jobs)",
            Operation::Submit => "submit job (POST /api/v2/infrastructureascode/jobs)",
        }
    }

    fn permission(self) -> &'static str {
        match self {
            Operation::GetJob | Operation::History => "infrastructureascode:job:view",
            Operation::Submit => "infrastructureascode:job:add",
        }
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    ///
    /// ```
    /// use genesys_iac::{Client, Region};
    ///
    /// let client = Client::builder()
    ///     .region(Region::EuWest1)
    ///     .client_credentials("my-client-id", "my-client-secret")
    ///     .build()?;
    /// assert_eq!(client.base_url(), "https://api.mypurecloud.ie");
    /// assert!(!format!("{client:?}").contains("my-client-secret"));
    /// # Ok::<(), genesys_iac::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// `ClientBuilder::from_env()?.build()`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The login base URL (token endpoint is `<login_url>/oauth/token`).
    pub fn login_url(&self) -> &str {
        self.inner.auth.login_url()
    }

    /// The generated low-level client, for what this crate does not wrap.
    /// Its requests still get the token, retries, rate budget and tracing,
    /// but errors come back untyped (`genesys_iac_client::Error`).
    pub fn generated(&self) -> &genesys_iac_client::Client {
        &self.inner.api
    }

    /// Logs in now rather than on the first call: fetches an access token
    /// with the client credentials, unless a fresh one is already cached.
    /// Use it to fail fast on bad credentials at start-up, or to keep the
    /// login out of a latency-sensitive first call. Calls log in by
    /// themselves when needed, so this is never required.
    ///
    /// With a static access token ([`ClientBuilder::access_token`]) nothing
    /// is sent; the service judges that token on the first call.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), genesys_iac::Error> {
    /// let client = genesys_iac::Client::from_env()?;
    /// // A wrong secret fails here, as `Error::Auth`, before any job call.
    /// client.authenticate().await?;
    /// # Ok(()) }
    /// ```
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.inner.auth.get().await.map(drop)
    }

    /// Submits a job: an apply, or a dry run if `spec.dry_run`.
    ///
    /// The spec is validated first. The POST is retried only when the job
    /// provably was not created (`429`, connection refused); any other
    /// failure after the request may have reached the service returns
    /// [`Error::UnknownOutcome`]. The client never submits twice.
    pub async fn submit(&self, spec: &JobSpec) -> Result<Job, Error> {
        spec.validate()?;
        let input = spec.to_input();
        let submitted_after = Utc::now();
        let span = tracing::info_span!(
            "genesys_iac.submit",
            accelerator_id = %spec.accelerator_id,
            dry_run = spec.dry_run,
            job_id = tracing::field::Empty,
        );
        async {
            let request = self.inner.api.post_infrastructureascode_jobs().body(input);
            let (result, state) = call(|| request.clone().send()).await;
            match result {
                Ok(rv) => {
                    let job = Job::from_raw(rv.into_inner());
                    tracing::Span::current().record("job_id", job.id());
                    Ok(job)
                }
                Err(e) => {
                    let sent = state.request_sent;
                    let err = map_error(e, state, Operation::Submit).await;
                    Err(classify_submit(err, sent, spec, submitted_after))
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Submits `spec` as a dry run (plan only), whatever `spec.dry_run` says.
    pub async fn plan(&self, spec: &JobSpec) -> Result<Job, Error> {
        let mut spec = spec.clone();
        spec.dry_run = true;
        self.submit(&spec).await
    }

    /// Fetches one job: `client.job(id).details(true).send().await`.
    pub fn job(&self, id: impl Into<String>) -> JobRequest {
        JobRequest {
            client: self.clone(),
            id: id.into(),
            details: false,
        }
    }

    /// Reads the job history:
    /// `client.history().limit(10).status(JobStatus::Failed).send().await`.
    pub fn history(&self) -> HistoryRequest {
        HistoryRequest {
            client: self.clone(),
            limit: None,
            status: None,
            accelerator_id: None,
            submitted_by: None,
            sort_by: None,
            sort_order: None,
            include_errors: None,
        }
    }

    /// Polls job `id` until it reaches a terminal status and returns it
    /// (`Ok` for every terminal status; check [`Job::is_success`]).
    /// See [`WaitOptions`] for the schedule, unknown statuses and transient
    /// errors; gives [`Error::WaitTimeout`] with the last job seen.
    pub async fn wait(&self, id: impl Into<String>, opts: WaitOptions) -> Result<Job, Error> {
        use futures_util::StreamExt;
        let stream = self.watch(id, opts);
        futures_util::pin_mut!(stream);
        let mut last = None;
        while let Some(item) = stream.next().await {
            last = Some(item?);
        }
        last.ok_or_else(|| Error::InvalidInput("the job stream ended without a result".into()))
    }

    /// A stream of a job's observations: the first, then each status change,
    /// ending after a terminal status (or after an error item, e.g.
    /// [`Error::WaitTimeout`]). For progress displays.
    ///
    /// The stream owns a clone of the client (`'static`) and is `Send`.
    pub fn watch(
        &self,
        id: impl Into<String>,
        opts: WaitOptions,
    ) -> impl Stream<Item = Result<Job, Error>> + Send + 'static {
        watch(self.clone(), id.into(), opts)
    }

    /// [`submit`](Self::submit), then [`wait`](Self::wait) for the job.
    pub async fn submit_and_wait(&self, spec: &JobSpec, opts: WaitOptions) -> Result<Job, Error> {
        // Boxed so the waiting that follows does not carry the submit's
        // state (see `wait`).
        let job = Box::pin(self.submit(spec)).await?;
        if job.id().is_empty() {
            return Err(Error::Decode {
                status: Some(200),
                correlation_id: None,
                excerpt: String::new(),
                reason: "the submitted job has no id, so it cannot be waited for".into(),
            });
        }
        self.wait(job.id().to_string(), opts).await
    }
}

/// A request for one job; see [`Client::job`]. Finish with `.send().await`
/// (or just `.await`).
#[derive(Clone, Debug)]
#[must_use = "call .send().await"]
pub struct JobRequest {
    client: Client,
    id: String,
    details: bool,
}

impl JobRequest {
    /// Include results or error information (default `false`).
    pub fn details(mut self, details: bool) -> Self {
        self.details = details;
        self
    }

    /// Sends the request. The id travels percent-encoded as one path
    /// segment; an id that cannot (empty, `.`, `..`, or containing `\`) is
    /// [`Error::InvalidInput`] and nothing is sent.
    pub async fn send(self) -> Result<Job, Error> {
        if self.id.trim().is_empty() {
            return Err(Error::InvalidInput("the job id is empty".into()));
        }
        // The id must reach the service as one path segment. The generated
        // code percent-encodes `/`, `%`, `?`, `#`, ... but not `\` (which URL
        // parsing turns into `/`), and `.`/`..` would be resolved as dot
        // segments (`jobs/..` is another endpoint).
        if matches!(self.id.as_str(), "." | "..") || self.id.contains('\\') {
            return Err(Error::InvalidInput(format!(
                "the job id {:?} is not a valid job id (it cannot be sent as one URL path segment)",
                self.id
            )));
        }
        let span =
            tracing::debug_span!("genesys_iac.job", job_id = %self.id, details = self.details);
        async {
            let inner = &self.client.inner;
            // Built for each attempt (a retry sends a fresh request).
            let send = || {
                let request = inner
                    .api
                    .get_infrastructureascode_job()
                    .job_id(self.id.as_str());
                // `details=false` is the service's default: leave it out
                // rather than encode and parse a query string on every poll.
                if self.details {
                    request.details(true).send()
                } else {
                    request.send()
                }
            };
            let (result, state) = call(send).await;
            match result {
                Ok(rv) => Ok(Job::from_raw(rv.into_inner())),
                Err(e) => Err(map_error(e, state, Operation::GetJob).await),
            }
        }
        .instrument(span)
        .await
    }
}

impl std::future::IntoFuture for JobRequest {
    type Output = Result<Job, Error>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    /// `client.job(id).await` is `client.job(id).send().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl std::future::IntoFuture for HistoryRequest {
    type Output = Result<Vec<Job>, Error>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    /// `client.history().limit(5).await` is `...send().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The field to sort the history by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortBy {
    /// The job id.
    Id,
    /// The submission time (the service's default).
    DateSubmitted,
    /// The submitting user.
    SubmittedBy,
    /// The status.
    Status,
    /// The accelerator id.
    AcceleratorId,
}

impl SortBy {
    /// Every value.
    pub const ALL: [SortBy; 5] = [
        SortBy::Id,
        SortBy::DateSubmitted,
        SortBy::SubmittedBy,
        SortBy::Status,
        SortBy::AcceleratorId,
    ];

    /// The wire value, e.g. `dateSubmitted`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Id => "id",
            SortBy::DateSubmitted => "dateSubmitted",
            SortBy::SubmittedBy => "submittedBy",
            SortBy::Status => "status",
            SortBy::AcceleratorId => "acceleratorId",
        }
    }

    fn wire(self) -> types::JobSortBy {
        match self {
            SortBy::Id => types::JobSortBy::Id,
            SortBy::DateSubmitted => types::JobSortBy::DateSubmitted,
            SortBy::SubmittedBy => types::JobSortBy::SubmittedBy,
            SortBy::Status => types::JobSortBy::Status,
            SortBy::AcceleratorId => types::JobSortBy::AcceleratorId,
        }
    }
}

impl fmt::Display for SortBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

impl FromStr for SortBy {
    type Err = Error;
    /// Accepts the wire value and kebab/snake case, case-insensitively
    /// (`dateSubmitted`, `date-submitted`, `date_submitted`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let n = normalise(s);
        SortBy::ALL
            .into_iter()
            .find(|v| v.as_str().to_lowercase() == n)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown sort field {s:?}; expected one of id, dateSubmitted, submittedBy, status, acceleratorId"
                ))
            })
    }
}

/// The history's sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending (the service's default: newest first).
    Desc,
}

impl SortOrder {
    /// The wire value, `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SortOrder {
    type Err = Error;
    /// Accepts `asc`, `ascending`, `desc`, `descending`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "asc" | "ascending" => Ok(SortOrder::Asc),
            "desc" | "descending" => Ok(SortOrder::Desc),
            _ => Err(Error::InvalidInput(format!(
                "unknown sort order {s:?}; expected asc or desc"
            ))),
        }
    }
}

/// A request for the job history; see [`Client::history`]. Finish with
/// `.send().await` (or just `.await`). Unset filters are not sent (the
/// service's defaults apply: one job, newest first).
#[derive(Clone, Debug)]
#[must_use = "call .send().await"]
pub struct HistoryRequest {
    client: Client,
    limit: Option<u32>,
    status: Option<JobStatus>,
    accelerator_id: Option<String>,
    submitted_by: Option<String>,
    sort_by: Option<SortBy>,
    sort_order: Option<SortOrder>,
    include_errors: Option<bool>,
}

impl HistoryRequest {
    /// How many jobs to return (`maxResults`; the service's default is 1).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Only jobs in this status.
    pub fn status(mut self, status: JobStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only jobs of this accelerator.
    pub fn accelerator_id(mut self, id: impl Into<String>) -> Self {
        self.accelerator_id = Some(id.into());
        self
    }

    /// Only jobs submitted by this user id.
    pub fn submitted_by(mut self, user_id: impl Into<String>) -> Self {
        self.submitted_by = Some(user_id.into());
        self
    }

    /// The sort field.
    pub fn sort_by(mut self, by: SortBy) -> Self {
        self.sort_by = Some(by);
        self
    }

    /// The sort order.
    pub fn sort_order(mut self, order: SortOrder) -> Self {
        self.sort_order = Some(order);
        self
    }

    /// Include error messages.
    pub fn include_errors(mut self, on: bool) -> Self {
        self.include_errors = Some(on);
        self
    }

    /// Sends the request. Whatever shape the service answers (one job, a
    /// bare array, an entity listing), the result is a list; an empty body,
    /// `null`, `{}` or `204 No Content` is an empty list.
    pub async fn send(self) -> Result<Vec<Job>, Error> {
        let mut req = self.client.inner.api.get_infrastructureascode_jobs();
        if let Some(n) = self.limit {
            if n == 0 {
                return Err(Error::InvalidInput(
                    "the history limit must be at least 1".into(),
                ));
            }
            let n = i32::try_from(n)
                .map_err(|_| Error::InvalidInput(format!("the history limit {n} is too large")))?;
            req = req.max_results(n);
        }
        if let Some(s) = self.status {
            req = req.status(s);
        }
        if let Some(a) = self.accelerator_id {
            req = req.accelerator_id(a);
        }
        if let Some(u) = self.submitted_by {
            req = req.submitted_by(u);
        }
        if let Some(b) = self.sort_by {
            req = req.sort_by(b.wire());
        }
        if let Some(o) = self.sort_order {
            req = req.sort_order(match o {
                SortOrder::Asc => types::SortOrder::Asc,
                SortOrder::Desc => types::SortOrder::Desc,
            });
        }
        if let Some(e) = self.include_errors {
            req = req.include_errors(e);
        }
        let span = tracing::debug_span!("genesys_iac.history", limit = self.limit);
        async {
            let (result, state) = call(|| req.clone().send()).await;
            match result {
                Ok(rv) => Ok(match rv.into_inner() {
                    types::InfrastructureascodeJobHistory::InfrastructureascodeJobEntityListing(
                        l,
                    ) => l.entities.into_iter().map(Job::from_raw).collect(),
                    types::InfrastructureascodeJobHistory::JobArray(a) => {
                        a.0.into_iter().map(Job::from_raw).collect()
                    }
                    types::InfrastructureascodeJobHistory::InfrastructureascodeJob(j) => {
                        vec![Job::from_raw(j)]
                    }
                }),
                Err(genesys_iac_client::Error::InvalidResponsePayload(bytes, _))
                    if state.failure.is_none()
                        && state.status.is_some_and(|s| (200..300).contains(&s))
                        && is_empty_answer(&bytes) =>
                {
                    Ok(Vec::new())
                }
                // `204 No Content`: no jobs, like an empty `200` body.
                Err(genesys_iac_client::Error::UnexpectedResponse(resp))
                    if state.failure.is_none() && resp.status() == http::StatusCode::NO_CONTENT =>
                {
                    Ok(Vec::new())
                }
                Err(e) => Err(map_error(e, state, Operation::History).await),
            }
        }
        .instrument(span)
        .await
    }
}

/// An empty body, `{}` or `null`: no jobs.
fn is_empty_answer(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Null) => true,
        Ok(serde_json::Value::Object(m)) => m.is_empty(),
        Ok(_) => false,
        Err(_) => bytes.iter().all(u8::is_ascii_whitespace),
    }
}

/// Turns a generated-client error, plus what the policy recorded, into an
/// [`Error`].
///
/// Boxed: the error path's future (which may read a body) is several times
/// the size of the success path's, and every call's future would otherwise
/// carry it.
pub(crate) fn map_error(
    err: genesys_iac_client::Error<ErrorBody>,
    state: CallState,
    op: Operation,
) -> std::pin::Pin<Box<impl Future<Output = Error>>> {
    Box::pin(map_error_unboxed(err, state, op))
}

async fn map_error_unboxed(
    err: genesys_iac_client::Error<ErrorBody>,
    mut state: CallState,
    op: Operation,
) -> Error {
    use genesys_iac_client::Error as E;
    if let Some(f) = state.failure.take() {
        return *f;
    }
    match err {
        E::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let cid = correlation_id(rv.headers()).or_else(|| state.correlation_id());
            from_body(status, cid, rv.into_inner(), op)
        }
        // A `401`/`403` is an auth failure whatever its body (a gateway or
        // proxy may answer with HTML): callers match on `Error::Auth`.
        E::InvalidResponsePayload(_, _) if matches!(state.status, Some(401 | 403)) => {
            let status = state.status.unwrap_or(401);
            auth_without_body(status, state.correlation_id(), op)
        }
        E::InvalidResponsePayload(bytes, e) => {
            let reason = match state.status {
                Some(s) if !(200..300).contains(&s) => format!(
                    "HTTP {s} {} with a body that is not a JSON error body (a gateway page?)",
                    reason_phrase(s)
                ),
                _ => format!("the body is not the expected JSON: {e}"),
            };
            Error::Decode {
                status: state.status,
                correlation_id: state.correlation_id(),
                excerpt: excerpt(&bytes),
                reason,
            }
        }
        E::UnexpectedResponse(resp) => {
            let status = resp.status().as_u16();
            let cid = correlation_id(resp.headers()).or_else(|| state.correlation_id());
            // The policy already read the body into memory.
            let bytes = resp.bytes().await.unwrap_or_default();
            match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body)
                    if !(200..300).contains(&status)
                        && (body.code.is_some() || body.message.is_some()) =>
                {
                    from_body(status, cid, body, op)
                }
                _ if matches!(status, 401 | 403) => auth_without_body(status, cid, op),
                _ => Error::Decode {
                    status: Some(status),
                    correlation_id: cid,
                    excerpt: excerpt(&bytes),
                    reason: format!("unexpected HTTP {status} {}", reason_phrase(status)),
                },
            }
        }
        E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
            Error::from_reqwest(op.describe(), e)
        }
        E::InvalidRequest(s) => Error::InvalidInput(s),
        E::Custom(s) => Error::Transport(TransportError {
            message: s,
            connect: false,
            source: None,
        }),
    }
}

fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// An auth failure whose response carried no JSON error body.
fn auth_without_body(status: u16, correlation_id: Option<String>, op: Operation) -> Error {
    let mut err = from_body(status, correlation_id, ErrorBody::default(), op);
    if let Error::Auth(a) = &mut err {
        a.body = None;
    }
    err
}

fn from_body(status: u16, correlation_id: Option<String>, body: ErrorBody, op: Operation) -> Error {
    let code = body.code.clone();
    let server_message = body
        .message
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| reason_phrase(status).to_string());
    let what = format!(
        "HTTP {status}{}: {server_message}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
    );
    match status {
        401 => {
            let hint = match code.as_deref() {
                Some("credentials.expired") => {
                    "the access token expired (a renewable token was renewed once and the replay was refused too); supply a new token or check the OAuth client"
                }
                Some("bad.credentials") => "the access token is invalid or revoked",
                Some("authentication.required") => "no access token was accepted",
                _ => "the access token was refused",
            };
            Error::Auth(AuthError {
                status,
                code,
                message: format!("{} was refused ({what}): {hint}", op.describe()),
                required_permission: None,
                correlation_id,
                body: Some(Box::new(body)),
            })
        }
        403 => {
            let perm = op.permission();
            Error::Auth(AuthError {
                status,
                code,
                message: format!(
                    "permission denied for {} ({what}); the OAuth client's role needs the \
                     `{perm}` permission",
                    op.describe()
                ),
                required_permission: Some(perm.to_string()),
                correlation_id,
                body: Some(Box::new(body)),
            })
        }
        _ => Error::Api(ApiError {
            status,
            code,
            message: server_message,
            correlation_id,
            body: Some(Box::new(body)),
        }),
    }
}

/// A failed submit: passes clean rejections through, turns anything that may
/// have created the job into [`Error::UnknownOutcome`].
fn classify_submit(
    err: Error,
    request_sent: bool,
    spec: &JobSpec,
    submitted_after: chrono::DateTime<Utc>,
) -> Error {
    if !request_sent {
        return err;
    }
    let definite = match &err {
        Error::Api(a) => (400..500).contains(&a.status),
        Error::Auth(_) | Error::InvalidInput(_) | Error::Config(_) => true,
        _ => false,
    };
    if definite {
        return err;
    }
    tracing::warn!(accelerator_id = %spec.accelerator_id, error = %err, "the outcome of a submit is unknown");
    Error::UnknownOutcome {
        accelerator_id: spec.accelerator_id.clone(),
        dry_run: spec.dry_run,
        submitted_after,
        status: err.status(),
        correlation_id: err.correlation_id().map(str::to_string),
        reason: err.to_string(),
    }
}
