//! The request policy plugged into the generated client, and the per-call
//! context through which it reports typed failures.
//!
//! The generated client sends every request through
//! [`RequestPolicy::execute`], which can only answer
//! `reqwest::Result<Response>`. So each wrapper call runs the generated
//! `.send()` inside [`scoped`], which sets a task-local [`CallCtx`]. The
//! policy writes into it what the generated code cannot carry: a typed
//! failure (token request refused, body too large), the status and
//! correlation id of the last response (a decode error of the generated code
//! has neither), and whether a failed request provably was not sent. When the
//! policy records a failure it hands the generated code a placeholder
//! response (status 599); the wrapper then ignores the generated code's
//! result and returns the recorded failure.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use genesys_iac_client::OperationInfo;
use genesys_iac_client::hooks::{BoxFuture, RequestPolicy};
use reqwest::header::AUTHORIZATION;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::Error;
use crate::rate::RateBudget;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::token::{TokenCache, correlation_id};

tokio::task_local! {
    static CALL: Arc<CallCtx>;
}

/// What the policy learned about one wrapper call.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    /// A typed failure; when set, it is the call's result.
    pub(crate) failure: Option<Error>,
    /// The status of the last response.
    pub(crate) status: Option<u16>,
    /// The correlation id of the last response.
    pub(crate) correlation_id: Option<String>,
    /// Attempts made.
    pub(crate) attempts: u32,
    /// A request was handed to the network and not provably refused before
    /// sending (connection errors clear it). `false` when the call failed
    /// before anything was sent (token request failed, ...).
    pub(crate) request_sent: bool,
}

#[derive(Debug, Default)]
pub(crate) struct CallCtx {
    state: Mutex<CallState>,
}

impl CallCtx {
    fn with<R>(&self, f: impl FnOnce(&mut CallState) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

/// Runs `fut` (a generated `.send()`) with a fresh call context and returns
/// its output with what the policy recorded.
pub(crate) async fn scoped<F: Future>(fut: F) -> (F::Output, CallState) {
    let ctx = Arc::new(CallCtx::default());
    let out = CALL.scope(ctx.clone(), fut).await;
    let state = ctx.with(std::mem::take);
    (out, state)
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
    Some(request_timeout.min(remaining.max(MIN_ATTEMPT)))
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
        // Calls made through `Client::generated()` have no context; they
        // still get auth and retries, but typed failures are lost.
        let ctx = CALL.try_with(Arc::clone).unwrap_or_default();
        Box::pin(self.run(client, request, info.operation_id, ctx))
    }
}

impl Policy {
    async fn run(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        ctx: Arc<CallCtx>,
    ) -> reqwest::Result<reqwest::Response> {
        let is_post = request.method() == reqwest::Method::POST;
        let mut started = Instant::now();
        let mut delays = self.retry.delays();
        let mut template = Some(request);
        let mut renewed = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let Some(tmpl) = template.as_ref() else {
                // Unreachable: the template is only taken for a last attempt.
                return Ok(placeholder());
            };
            let mut req = match tmpl.try_clone() {
                Some(r) => r,
                // A streaming body cannot be replayed: one attempt only.
                None => match template.take() {
                    Some(r) => r,
                    None => return Ok(placeholder()),
                },
            };
            if let Some(budget) = &self.budget {
                budget.acquire().await;
            }
            let token = match self.auth.get().await {
                Ok(t) => t,
                Err(e) => {
                    ctx.with(|s| s.failure = Some(e));
                    return Ok(placeholder());
                }
            };
            if attempt == 1 {
                // Waiting for the rate budget or the token (which has its own
                // retries) does not eat into this call's retry time.
                started = Instant::now();
            }
            let Some(timeout) =
                attempt_timeout(&self.retry, self.request_timeout, started, attempt)
            else {
                ctx.with(|s| {
                    s.failure = Some(Error::Timeout(crate::error::TransportError {
                        message: format!("{operation}: the retry time budget is exhausted"),
                        connect: false,
                        source: None,
                    }))
                });
                return Ok(placeholder());
            };
            *req.timeout_mut() = Some(timeout);

            req.headers_mut()
                .insert(AUTHORIZATION, token.header.clone());

            let span = tracing::debug_span!(
                "genesys_iac.attempt",
                operation,
                attempt,
                status = tracing::field::Empty,
                correlation_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let t0 = Instant::now();
            let limit = self.max_body_bytes;
            ctx.with(|s| s.request_sent = true);
            let result = async {
                // Held while this attempt is on the wire and its body is read
                // (a response handed on with its declared length is read right
                // after): one permit, one connection. Not held while backing off.
                let _permit = self.in_flight.acquire().await.ok();
                let resp = client.execute(req).await?;
                let status = resp.status();
                let declared_fits = resp.content_length().is_some_and(|n| n <= limit as u64);
                if declared_fits && status != reqwest::StatusCode::UNAUTHORIZED {
                    return Ok(Attempt::Direct(resp));
                }
                let version = resp.version();
                let headers = resp.headers().clone();
                Ok::<_, reqwest::Error>(match read_limited(resp, limit).await? {
                    Limited::Body(body) => Attempt::Buffered {
                        status,
                        version,
                        headers,
                        body,
                    },
                    Limited::TooLarge => {
                        ctx.with(|s| {
                            s.status = Some(status.as_u16());
                            s.correlation_id = correlation_id(&headers);
                        });
                        Attempt::TooLarge
                    }
                })
            }
            .instrument(span.clone())
            .await;
            span.record("duration_ms", t0.elapsed().as_millis() as u64);
            ctx.with(|s| s.attempts = attempt);

            match result {
                Ok(Attempt::TooLarge) => {
                    span.in_scope(|| tracing::warn!(limit, "response body too large"));
                    ctx.with(|s| s.failure = Some(Error::BodyTooLarge { limit }));
                    return Ok(placeholder());
                }
                Ok(attempt_result) => {
                    let code = attempt_result.status().as_u16();
                    let cid = attempt_result.headers().and_then(correlation_id);
                    span.record("status", code);
                    if let Some(c) = &cid {
                        span.record("correlation_id", c.as_str());
                    }
                    span.in_scope(|| tracing::debug!("response received"));
                    ctx.with(|s| {
                        s.status = Some(code);
                        s.correlation_id = cid.clone();
                    });

                    if code == 401
                        && !renewed
                        && template.is_some()
                        && self.auth.renewable()
                        && is_expired(attempt_result.body())
                    {
                        renewed = true;
                        span.in_scope(|| {
                            tracing::info!("access token expired; renewing once and replaying")
                        });
                        if let Err(e) = self.auth.renew(token.generation).await {
                            ctx.with(|s| s.failure = Some(e));
                            return Ok(placeholder());
                        }
                        // The replay is not a retry: give the attempt back.
                        attempt -= 1;
                        continue;
                    }

                    let retryable = match code {
                        429 => true,
                        500 | 502 | 503 | 504 => !is_post,
                        _ => false,
                    };
                    if retryable && template.is_some() {
                        let retry_after = if code == 429 {
                            attempt_result
                                .headers()
                                .and_then(|h| h.get(reqwest::header::RETRY_AFTER))
                                .and_then(|v| v.to_str().ok())
                                .and_then(parse_retry_after)
                        } else {
                            None
                        };
                        if let Some(delay) =
                            next_delay(&self.retry, &mut delays, started, retry_after)
                        {
                            span.in_scope(|| {
                                tracing::warn!(
                                    status = code,
                                    delay_ms = delay.as_millis() as u64,
                                    "retrying"
                                )
                            });
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Ok(attempt_result.into_response());
                }
                Err(e) => {
                    let not_sent = e.is_connect();
                    if not_sent {
                        ctx.with(|s| s.request_sent = false);
                    }
                    let retryable = if is_post {
                        not_sent
                    } else {
                        !e.is_builder() && !e.is_redirect()
                    };
                    span.in_scope(|| tracing::debug!(error = %e, "request failed"));
                    if retryable
                        && template.is_some()
                        && let Some(delay) = next_delay(&self.retry, &mut delays, started, None)
                    {
                        {
                            span.in_scope(|| {
                                tracing::warn!(
                                    error = %e,
                                    delay_ms = delay.as_millis() as u64,
                                    "retrying"
                                )
                            });
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Err(e);
                }
            }
        }
    }
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
