//! The request policy plugged into the generated client, and the per-call
//! context through which it reports typed failures.
//!
//! The generated client sends every request through
//! [`RequestPolicy::execute`], which can only answer
//! `reqwest::Result<Response>`. So each wrapper call runs the generated
//! `.send()` inside [`scoped`], which sets a task-local [`CallState`]. The
//! policy writes into it what the generated code cannot carry: a typed
//! failure (token request refused, body too large), the status and
//! correlation id of the last response (a decode error of the generated code
//! has neither), and whether a failed request provably was not sent. When the
//! policy records a failure it hands the generated code a placeholder
//! response (status 599); the wrapper then ignores the generated code's
//! result and returns the recorded failure.
//!
//! Retries: in a wrapper call ([`call`]) the policy makes one attempt per
//! `.send()` (renewing the token first if the service refused it as expired)
//! and records whether to send again and after what delay; the wrapper then
//! waits and calls the generated `.send()` again, which builds the request
//! afresh. The attempt loop's state (count, time budget, backoff)
//! travels in the call context, and every attempt's decisions are the
//! policy's. Outside a wrapper call (`Client::generated()`), the policy
//! loops itself, sending copies of the request it was given.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use genesys_iac_client::OperationInfo;
use genesys_iac_client::hooks::{BoxFuture, RequestPolicy};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::Error;
use crate::rate::RateBudget;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::token::{CORRELATION_ID, TokenCache};

tokio::task_local! {
    static CALL: RefCell<CallState>;
}

/// What the policy learned about one wrapper call.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    /// A typed failure; when set, it is the call's result (boxed: it is
    /// rare, and this state moves with every attempt).
    pub(crate) failure: Option<Box<Error>>,
    /// The status of the last response.
    pub(crate) status: Option<u16>,
    /// The correlation id header of the last response, kept as received
    /// (turned into a string only when an error needs it).
    pub(crate) correlation: Option<HeaderValue>,
    /// Attempts made.
    pub(crate) attempts: u32,
    /// A request was handed to the network and not provably refused before
    /// sending (connection errors clear it). `false` when the call failed
    /// before anything was sent (token request failed, ...).
    pub(crate) request_sent: bool,
    /// The attempt loop's state between attempts.
    progress: Option<CallLoop>,
    /// Set when [`call`] is to send the request again, after this delay
    /// (zero: a replay with a renewed token); `None`: the call is over.
    resend_after: Option<Duration>,
}

impl CallState {
    /// The correlation id of the last response, if it had a readable one.
    pub(crate) fn correlation_id(&self) -> Option<String> {
        self.correlation
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Records into the current call's state; a no-op outside [`scoped`] (calls
/// made through `Client::generated()`).
fn record(f: impl FnOnce(&mut CallState)) {
    let _ = CALL.try_with(|cell| {
        if let Ok(mut state) = cell.try_borrow_mut() {
            f(&mut state);
        }
    });
}

/// Runs a wrapper call: `send` makes a generated `.send()` future, called
/// once per attempt (a fresh request each time, so nothing is copied in case
/// of a retry). Returns the last attempt's output with what the policy
/// recorded.
pub(crate) async fn call<F, Fut>(mut send: F) -> (Fut::Output, CallState)
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    let mut state = CallState::default();
    loop {
        let (out, mut next) = scoped(send(), state).await;
        let Some(delay) = next.resend_after.take() else {
            return (out, next);
        };
        drop(out);
        if !delay.is_zero() {
            // Boxed: retries are rare, and this future lives as long as the
            // call (a waiter holds one per job).
            Box::pin(tokio::time::sleep(delay)).await;
        }
        state = next;
    }
}

/// Runs `fut` (a generated `.send()`) with the call context `state` and
/// returns its output with what the policy recorded.
///
/// The scoped future is boxed once here, so the (kilobytes-large) generated
/// future is not copied again by every future that awaits this one.
fn scoped<F: Future>(fut: F, state: CallState) -> impl Future<Output = (F::Output, CallState)> {
    let mut scope = Box::pin(CALL.scope(RefCell::new(state), fut));
    async move {
        let out = scope.as_mut().await;
        let state = scope
            .as_mut()
            .take_value()
            .map(RefCell::into_inner)
            .unwrap_or_default();
        (out, state)
    }
}

/// A body read with a size limit.
pub(crate) enum Limited {
    Body(Bytes),
    TooLarge,
}

/// Reads a response body, stopping as soon as it exceeds `limit` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Limited> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(Limited::TooLarge);
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > limit {
            return Ok(Limited::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Limited::Body(buf.freeze()))
}

/// The shortest time worth starting another attempt for.
const MIN_ATTEMPT: Duration = Duration::from_millis(500);

/// The timeout of a call's first attempt (the whole retry time budget
/// remains): the HTTP client's own timeout, so that a first attempt needs no
/// per-request override.
pub(crate) fn first_attempt_timeout(retry: &RetryPolicy, request_timeout: Duration) -> Duration {
    retry
        .get_max_elapsed()
        .map_or(request_timeout, |max| within(request_timeout, max))
}

/// `request_timeout`, shortened to what remains of the call's time budget
/// (but never below [`MIN_ATTEMPT`]).
fn within(request_timeout: Duration, remaining: Duration) -> Duration {
    request_timeout.min(remaining.max(MIN_ATTEMPT))
}

/// The timeout of attempt `attempt`, or `None` when the call's time budget is
/// spent. The first attempt always runs.
pub(crate) fn attempt_timeout(
    retry: &RetryPolicy,
    request_timeout: Duration,
    started: Instant,
    attempt: u32,
) -> Option<Duration> {
    let Some(max) = retry.get_max_elapsed() else {
        return Some(request_timeout);
    };
    let remaining = max.saturating_sub(started.elapsed());
    if attempt > 1 && remaining < MIN_ATTEMPT {
        return None;
    }
    Some(within(request_timeout, remaining))
}

/// The delay before the next attempt, or `None` to give up.
pub(crate) fn next_delay(
    retry: &RetryPolicy,
    delays: &mut impl Iterator<Item = Duration>,
    started: Instant,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let base = delays.next()?;
    let delay = retry_after.map_or(base, |ra| ra.min(retry.get_max_retry_after()));
    if let Some(max) = retry.get_max_elapsed()
        && started.elapsed() + delay + MIN_ATTEMPT > max
    {
        return None;
    }
    Some(delay)
}

/// The policy: rate budget, bearer token, retries, renewal, body limit,
/// tracing.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) auth: Arc<TokenCache>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Option<Arc<RateBudget>>,
    pub(crate) request_timeout: Duration,
    /// The HTTP client's own timeout: [`first_attempt_timeout`].
    pub(crate) client_timeout: Duration,
    pub(crate) max_body_bytes: usize,
    /// Bounds requests on the wire (and so connections) across clones.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
}

enum Attempt {
    /// A response whose declared length is within the limit and whose body
    /// the policy need not read: handed to the generated code untouched
    /// (hyper reads no more than the declared length).
    Direct(reqwest::Response),
    /// A response read into memory under the limit (no declared length, or a
    /// `401` whose body says whether the token expired).
    Buffered {
        status: reqwest::StatusCode,
        version: reqwest::Version,
        headers: reqwest::header::HeaderMap,
        body: Bytes,
    },
    TooLarge,
}

impl Attempt {
    fn status(&self) -> reqwest::StatusCode {
        match self {
            Attempt::Direct(r) => r.status(),
            Attempt::Buffered { status, .. } => *status,
            Attempt::TooLarge => reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn headers(&self) -> Option<&reqwest::header::HeaderMap> {
        match self {
            Attempt::Direct(r) => Some(r.headers()),
            Attempt::Buffered { headers, .. } => Some(headers),
            Attempt::TooLarge => None,
        }
    }

    fn body(&self) -> &[u8] {
        match self {
            Attempt::Buffered { body, .. } => body,
            _ => &[],
        }
    }

    /// The response to give the generated code.
    fn into_response(self) -> reqwest::Response {
        match self {
            Attempt::Direct(r) => r,
            Attempt::Buffered {
                status,
                version,
                headers,
                body,
            } => {
                let mut rebuilt = http::Response::new(body);
                *rebuilt.status_mut() = status;
                *rebuilt.version_mut() = version;
                *rebuilt.headers_mut() = headers;
                reqwest::Response::from(rebuilt)
            }
            Attempt::TooLarge => placeholder(),
        }
    }
}

/// A response the generated code turns into `UnexpectedResponse`; the
/// wrapper ignores it because a failure was recorded.
fn placeholder() -> reqwest::Response {
    let mut r = http::Response::new(Bytes::new());
    *r.status_mut() = http::StatusCode::from_u16(599).unwrap_or(http::StatusCode::BAD_GATEWAY);
    reqwest::Response::from(r)
}

impl RequestPolicy for Policy {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // Calls made through `Client::generated()` have no call context; they
        // still get auth and retries, but typed failures are lost.
        Box::pin(self.run(client, request, info.operation_id))
    }
}

impl Policy {
    /// A token for the next attempt: the cached one when fresh (no await),
    /// else through the token cache's renewal path (boxed: it is large and
    /// rarely taken, and this future is copied on every call).
    async fn token(&self) -> Result<(HeaderValue, u64), Error> {
        if let Some(fresh) = self.auth.fresh() {
            return Ok(fresh);
        }
        let t = Box::pin(self.auth.get()).await?;
        Ok((t.header.clone(), t.generation))
    }

    /// One request: a single attempt in a wrapper call (which re-sends on a
    /// retry, see [`call`]), else the whole attempt loop, sending copies of
    /// `request`. A plain function returning the future so that the request
    /// is moved into its state once (an `async fn` would also keep its
    /// argument in a slot of its own for the future's whole life).
    fn run<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        let progress = CALL
            .try_with(|cell| cell.try_borrow_mut().ok().map(|mut s| s.progress.take()))
            .ok()
            .flatten();
        async move {
            if let Some(progress) = progress {
                let mut call = progress.unwrap_or_else(|| CallLoop::new(&request, true));
                let step = self.attempt(&mut call, client, request, operation).await;
                let (result, resend_after) = match self.settle(&mut call, step).await {
                    Settled::Done(r) => (r, None),
                    Settled::Resend(delay) => (Ok(placeholder()), Some(delay)),
                };
                record(|s| {
                    s.progress = Some(call);
                    s.resend_after = resend_after;
                });
                return result;
            }
            // Called through `Client::generated()`: no call context to carry
            // the loop, so it runs here, on copies of the request.
            let mut call = CallLoop::new(&request, false);
            let mut template = Some(request);
            loop {
                let Some(req) = next_request(&mut template) else {
                    return Ok(placeholder());
                };
                call.replayable = template.is_some();
                let step = self.attempt(&mut call, client, req, operation).await;
                match self.settle(&mut call, step).await {
                    Settled::Done(r) => return r,
                    Settled::Resend(delay) => tokio::time::sleep(delay).await,
                }
            }
        }
    }

    /// After an attempt: the result to hand on, or a delay before sending
    /// again. A token refused as expired is renewed here; the replay that
    /// follows is not a retry, so the attempt is given back.
    async fn settle(&self, call: &mut CallLoop, step: Step) -> Settled {
        match step {
            Step::Return(r) => Settled::Done(r),
            Step::Retry(delay) => Settled::Resend(delay),
            Step::Renew(generation) => {
                if let Err(e) = Box::pin(self.auth.renew(generation)).await {
                    record(|s| s.failure = Some(Box::new(e)));
                    return Settled::Done(Ok(placeholder()));
                }
                call.attempt -= 1;
                Settled::Resend(Duration::ZERO)
            }
        }
    }

    /// One attempt: rate budget, token, send, and the decision on what comes
    /// next. Only the loop's own state and one await's future are alive at
    /// any await point: the decisions are made by `judge`, which consumes the
    /// response, so this future stays small (it is boxed and copied once per
    /// call). Not an `async fn`, so that the request is not also kept in a
    /// slot of its own for the future's whole life.
    #[allow(clippy::manual_async_fn, reason = "see above")]
    fn attempt<'b>(
        &'b self,
        call: &'b mut CallLoop,
        client: &'b reqwest::Client,
        req: reqwest::Request,
        operation: &'static str,
    ) -> impl Future<Output = Step> + Send + 'b {
        async move {
            call.attempt += 1;
            if let Some(budget) = &self.budget {
                budget.acquire().await;
            }
            let (token, generation) = match self.token().await {
                Ok(t) => t,
                Err(e) => {
                    record(|s| s.failure = Some(Box::new(e)));
                    return Step::Return(Ok(placeholder()));
                }
            };
            let Some(req) = self.prepare(call, req, token, operation) else {
                return Step::Return(Ok(placeholder()));
            };
            let span = tracing::debug_span!(
                "genesys_iac.attempt",
                operation,
                attempt = call.attempt,
                status = tracing::field::Empty,
                correlation_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let t0 = (!span.is_disabled()).then(Instant::now);
            // Held while this attempt is on the wire and its body is read
            // (a response handed on with its declared length is read right
            // after): one permit, one connection. Not held while backing
            // off. Taken before `execute`, which starts the request's
            // timeout.
            let permit = self.in_flight.acquire().await.ok();
            record(|s| s.request_sent = true);
            let pending = client.execute(req);
            let result = receive(pending, self.max_body_bytes)
                .instrument(span.clone())
                .await;
            drop(permit);
            if let Some(t0) = t0 {
                span.record("duration_ms", t0.elapsed().as_millis() as u64);
            }
            self.judge(call, result, generation, &span)
        }
    }

    /// Sets the attempt's timeout and credentials; `None` (with the failure
    /// recorded) when the call's retry time budget is spent.
    fn prepare(
        &self,
        call: &mut CallLoop,
        mut req: reqwest::Request,
        token: HeaderValue,
        operation: &'static str,
    ) -> Option<reqwest::Request> {
        let timeout = if call.attempt == 1 && !call.renewed {
            // Waiting for the rate budget or the token (which has its own
            // retries) does not eat into this call's retry time; the HTTP
            // client's own timeout is this attempt's.
            call.started = Instant::now();
            Some(self.client_timeout)
        } else {
            attempt_timeout(
                &self.retry,
                self.request_timeout,
                call.started,
                call.attempt,
            )
        };
        let Some(timeout) = timeout else {
            record(|s| {
                s.failure = Some(Box::new(Error::Timeout(crate::error::TransportError {
                    message: format!("{operation}: the retry time budget is exhausted"),
                    connect: false,
                    source: None,
                })))
            });
            return None;
        };
        // The HTTP client applies `client_timeout` already; a per-request
        // override costs an allocation, so only when it differs.
        if timeout != self.client_timeout {
            *req.timeout_mut() = Some(timeout);
        }
        req.headers_mut().insert(AUTHORIZATION, token);
        Some(req)
    }

    /// What to do after an attempt: hand on its response or error, renew the
    /// token (of `generation`, the one the attempt sent) and replay, or retry
    /// after a delay.
    fn judge(
        &self,
        call: &mut CallLoop,
        result: reqwest::Result<Attempt>,
        generation: u64,
        span: &tracing::Span,
    ) -> Step {
        let attempt = call.attempt;
        match result {
            Ok(Attempt::TooLarge) => {
                let limit = self.max_body_bytes;
                span.in_scope(|| tracing::warn!(limit, "response body too large"));
                record(|s| {
                    s.attempts = attempt;
                    s.failure = Some(Box::new(Error::BodyTooLarge { limit }));
                });
                Step::Return(Ok(placeholder()))
            }
            Ok(attempt_result) => {
                let code = attempt_result.status().as_u16();
                let cid = attempt_result
                    .headers()
                    .and_then(|h| h.get(&CORRELATION_ID))
                    .cloned();
                if !span.is_disabled() {
                    span.record("status", code);
                    if let Some(c) = cid.as_ref().and_then(|c| c.to_str().ok()) {
                        span.record("correlation_id", c);
                    }
                    span.in_scope(|| tracing::debug!("response received"));
                }
                record(|s| {
                    s.attempts = attempt;
                    s.status = Some(code);
                    s.correlation = cid;
                });

                if code == 401
                    && !call.renewed
                    && call.replayable
                    && self.auth.renewable()
                    && is_expired(attempt_result.body())
                {
                    call.renewed = true;
                    span.in_scope(|| {
                        tracing::info!("access token expired; renewing once and replaying")
                    });
                    return Step::Renew(generation);
                }

                let retryable = match code {
                    429 => true,
                    500 | 502 | 503 | 504 => !call.is_post,
                    _ => false,
                };
                if retryable && call.replayable {
                    let retry_after = if code == 429 {
                        attempt_result
                            .headers()
                            .and_then(|h| h.get(reqwest::header::RETRY_AFTER))
                            .and_then(|v| v.to_str().ok())
                            .and_then(parse_retry_after)
                    } else {
                        None
                    };
                    if let Some(delay) = call.next_delay(&self.retry, retry_after) {
                        span.in_scope(|| {
                            tracing::warn!(
                                status = code,
                                delay_ms = delay.as_millis() as u64,
                                "retrying"
                            )
                        });
                        return Step::Retry(delay);
                    }
                }
                Step::Return(Ok(attempt_result.into_response()))
            }
            Err(e) => {
                let not_sent = e.is_connect();
                record(|s| {
                    s.attempts = attempt;
                    if not_sent {
                        s.request_sent = false;
                    }
                });
                let retryable = if call.is_post {
                    not_sent
                } else {
                    !e.is_builder() && !e.is_redirect()
                };
                span.in_scope(|| tracing::debug!(error = %e, "request failed"));
                if retryable
                    && call.replayable
                    && let Some(delay) = call.next_delay(&self.retry, None)
                {
                    span.in_scope(|| {
                        tracing::warn!(
                            error = %e,
                            delay_ms = delay.as_millis() as u64,
                            "retrying"
                        )
                    });
                    return Step::Retry(delay);
                }
                Step::Return(Err(e))
            }
        }
    }
}

/// The state of one call's attempt loop.
#[derive(Debug)]
struct CallLoop {
    is_post: bool,
    started: Instant,
    /// Built on the first retry: most calls never need one.
    delays: Option<Box<crate::retry::Delays>>,
    /// The request can be sent again (re-built by the wrapper, or copied).
    replayable: bool,
    renewed: bool,
    attempt: u32,
}

impl CallLoop {
    fn new(request: &reqwest::Request, replayable: bool) -> Self {
        CallLoop {
            is_post: request.method() == reqwest::Method::POST,
            started: Instant::now(),
            delays: None,
            replayable,
            renewed: false,
            attempt: 0,
        }
    }

    fn next_delay(
        &mut self,
        retry: &RetryPolicy,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let delays = self.delays.get_or_insert_with(|| Box::new(retry.delays()));
        next_delay(retry, &mut **delays, self.started, retry_after)
    }
}

/// The request for the next attempt of a loop that copies: `template`
/// itself, with a copy kept as the template for a retry (none when its body
/// cannot be replayed: one attempt only).
///
/// The one sent is the original rather than the copy: the header map the
/// generated code built has room for the headers added before sending
/// (`Authorization`, then reqwest's `User-Agent`), while a copy's has exactly
/// its length and would grow twice.
fn next_request(template: &mut Option<reqwest::Request>) -> Option<reqwest::Request> {
    let request = template.take()?;
    *template = replay_copy(&request);
    Some(request)
}

/// What comes after an attempt and its token renewal.
enum Settled {
    Done(reqwest::Result<reqwest::Response>),
    /// Send again after this delay.
    Resend(Duration),
}

/// The outcome of one attempt, decided by [`Policy::judge`].
enum Step {
    Return(reqwest::Result<reqwest::Response>),
    Retry(Duration),
    /// Renew the token of this generation, then replay.
    Renew(u64),
}

/// Awaits a sent request's response, reading its body into memory (under
/// `limit`) only when the generated code cannot be handed the response as it
/// is. Not an `async fn`, so that the future holds only `pending` (an
/// `async fn` keeps a second copy of its arguments).
#[allow(clippy::manual_async_fn, reason = "see above")]
fn receive(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>> + Send,
    limit: usize,
) -> impl Future<Output = reqwest::Result<Attempt>> + Send {
    async move {
        let resp = pending.await?;
        let status = resp.status();
        let declared_fits = resp.content_length().is_some_and(|n| n <= limit as u64);
        if declared_fits && status != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(Attempt::Direct(resp));
        }
        let version = resp.version();
        let headers = resp.headers().clone();
        // Boxed: rare (no declared length, or a `401`), and large.
        Ok(match Box::pin(read_limited(resp, limit)).await? {
            Limited::Body(body) => Attempt::Buffered {
                status,
                version,
                headers,
                body,
            },
            Limited::TooLarge => {
                record(|s| {
                    s.status = Some(status.as_u16());
                    s.correlation = headers.get(&CORRELATION_ID).cloned();
                });
                Attempt::TooLarge
            }
        })
    }
}

/// A copy of `tmpl` to send, keeping `tmpl` for a retry; `None` when its
/// body is a stream (which cannot be replayed).
///
/// `reqwest::Request::try_clone` would do, but it allocates a per-request
/// timeout entry for every copy even when there is none. A request's other
/// parts (extensions) are private to reqwest and unset by the generated code.
fn replay_copy(tmpl: &reqwest::Request) -> Option<reqwest::Request> {
    let body = match tmpl.body() {
        Some(b) => Some(reqwest::Body::from(Bytes::copy_from_slice(b.as_bytes()?))),
        None => None,
    };
    let mut req = reqwest::Request::new(tmpl.method().clone(), tmpl.url().clone());
    *req.headers_mut() = tmpl.headers().clone();
    *req.version_mut() = tmpl.version();
    if let Some(t) = tmpl.timeout() {
        *req.timeout_mut() = Some(*t);
    }
    *req.body_mut() = body;
    Some(req)
}

/// Whether a `401` body says the token expired.
fn is_expired(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Code {
        code: Option<String>,
    }
    serde_json::from_slice::<Code>(body)
        .ok()
        .and_then(|c| c.code)
        .is_some_and(|c| c == "credentials.expired")
}
