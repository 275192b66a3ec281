//! Credentials and the token cache.
//!
//! One `TokenCache` per [`Client`](crate::Client) (shared by its clones).
//! Readers of a valid token take a short `std` read lock and never wait for
//! the network. When the token must be fetched, callers queue on an async
//! gate; the first fetches, the rest find the new token (or the failure) when
//! they get the gate, so any number of concurrent calls cause one token
//! request. Shortly before expiry, one caller renews while the others keep
//! using the still-valid token.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{AuthError, Error, excerpt, retryable_status};
use crate::policy::{Limited, attempt_timeout, read_limited};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::Secret;

/// How the client authenticates.
#[derive(Clone, Debug)]
pub(crate) enum Credentials {
    /// OAuth client-credentials grant.
    ClientCredentials { client_id: String, secret: Secret },
    /// A ready-made access token (not renewable).
    AccessToken(Secret),
}

/// A bearer token ready to send.
pub(crate) struct Token {
    pub(crate) header: HeaderValue,
    pub(crate) generation: u64,
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("header", &"Bearer [redacted]")
            .field("generation", &self.generation)
            .field("refresh_at", &self.refresh_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Token {
    fn fresh(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|t| now < t)
    }

    fn usable(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

fn bearer_header(token: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::Config("the access token contains characters not allowed in an HTTP header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    creds: Credentials,
    login_url: String,
    http: reqwest::Client,
    retry: RetryPolicy,
    request_timeout: Duration,
    current: RwLock<Option<Arc<Token>>>,
    gate: tokio::sync::Mutex<()>,
    /// Completed fetches (success or failure).
    epoch: AtomicU64,
    last_failure: Mutex<Option<(u64, Error)>>,
    generation: AtomicU64,
}

impl TokenCache {
    pub(crate) fn new(
        creds: Credentials,
        login_url: String,
        http: reqwest::Client,
        retry: RetryPolicy,
        request_timeout: Duration,
    ) -> Result<Self, Error> {
        let current = match &creds {
            Credentials::AccessToken(t) => Some(Arc::new(Token {
                header: bearer_header(t.expose())?,
                generation: 0,
                refresh_at: None,
                expires_at: None,
            })),
            Credentials::ClientCredentials { .. } => None,
        };
        Ok(Self {
            creds,
            login_url,
            http,
            retry,
            request_timeout,
            current: RwLock::new(current),
            gate: tokio::sync::Mutex::new(()),
            epoch: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    /// Whether a new token can be obtained (client credentials).
    pub(crate) fn renewable(&self) -> bool {
        matches!(self.creds, Credentials::ClientCredentials { .. })
    }

    /// A short description for `Debug` output of the client.
    pub(crate) fn describe(&self) -> String {
        match &self.creds {
            Credentials::ClientCredentials { client_id, .. } => {
                format!("client credentials (client id {client_id:?}, secret redacted)")
            }
            Credentials::AccessToken(_) => "access token (redacted)".into(),
        }
    }

    pub(crate) fn login_url(&self) -> &str {
        &self.login_url
    }

    fn snapshot(&self) -> Option<Arc<Token>> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The current token's header and generation when it needs no renewal:
    /// the per-request fast path (no `Arc` traffic, nothing to await). When
    /// it returns `None`, [`get`](Self::get) renews or waits as needed.
    pub(crate) fn fresh(&self) -> Option<(HeaderValue, u64)> {
        let now = Instant::now();
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard
            .as_ref()
            .filter(|t| t.fresh(now))
            .map(|t| (t.header.clone(), t.generation))
    }

    /// A token to send now.
    pub(crate) async fn get(&self) -> Result<Arc<Token>, Error> {
        let now = Instant::now();
        if let Some(t) = self.snapshot() {
            if t.fresh(now) {
                return Ok(t);
            }
            if t.usable(now) {
                // Renewal window: one caller renews, the others go on with
                // the current token.
                if let Ok(_gate) = self.gate.try_lock() {
                    if let Some(t2) = self.snapshot()
                        && t2.generation != t.generation
                        && t2.usable(Instant::now())
                    {
                        return Ok(t2);
                    }
                    match self.fetch().await {
                        Ok(new) => return Ok(new),
                        Err(e) => {
                            tracing::warn!(error = %e, "renewing the access token failed; using the current one until it expires");
                            return Ok(t);
                        }
                    }
                }
                return Ok(t);
            }
        }
        self.refresh(None).await
    }

    /// Replaces the token of generation `stale` (rejected as expired), once:
    /// concurrent callers with the same stale token share one renewal.
    pub(crate) async fn renew(&self, stale: u64) -> Result<Arc<Token>, Error> {
        self.refresh(Some(stale)).await
    }

    async fn refresh(&self, stale: Option<u64>) -> Result<Arc<Token>, Error> {
        if !self.renewable() {
            return Err(Error::Config(
                "the access token cannot be renewed; supply a new one".into(),
            ));
        }
        let seen = self.epoch.load(Ordering::SeqCst);
        let _gate = self.gate.lock().await;
        if let Some(t) = self.snapshot() {
            let ok = match stale {
                Some(g) => t.generation != g && t.usable(Instant::now()),
                None => t.usable(Instant::now()),
            };
            if ok {
                return Ok(t);
            }
        }
        if self.epoch.load(Ordering::SeqCst) != seen {
            let failure = match self.last_failure.lock() {
                Ok(g) => g.clone(),
                Err(p) => p.into_inner().clone(),
            };
            if let Some((epoch, err)) = failure
                && epoch > seen
            {
                return Err(err);
            }
        }
        self.fetch().await
    }

    /// Fetches a token (with retries) and stores the result. Call with the
    /// gate held.
    async fn fetch(&self) -> Result<Arc<Token>, Error> {
        let result = self.fetch_with_retries().await;
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let mut failure = match self.last_failure.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                match self.current.write() {
                    Ok(mut g) => *g = Some(token.clone()),
                    Err(p) => *p.into_inner() = Some(token.clone()),
                }
                *failure = None;
                Ok(token)
            }
            Err(e) => {
                *failure = Some((epoch, e.clone()));
                Err(e)
            }
        }
    }

    async fn fetch_with_retries(&self) -> Result<Token, Error> {
        let Credentials::ClientCredentials { client_id, secret } = &self.creds else {
            return Err(Error::Config("no client credentials".into()));
        };
        let url = format!("{}/oauth/token", self.login_url);
        let started = Instant::now();
        let mut delays = self.retry.delays();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let Some(timeout) =
                attempt_timeout(&self.retry, self.request_timeout, started, attempt)
            else {
                return Err(Error::Timeout(crate::error::TransportError {
                    message: format!("token request to {url}: retry time budget exhausted"),
                    connect: false,
                    source: None,
                }));
            };
            let span = tracing::debug_span!(
                "genesys_iac.token",
                attempt,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let t0 = Instant::now();
            let request = self
                .http
                .post(&url)
                .basic_auth(client_id, Some(secret.expose()))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .body("grant_type=client_credentials")
                .timeout(timeout);
            let result = async {
                let resp = self.http.execute(request.build()?).await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let body = read_limited(resp, 256 * 1024).await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            }
            .instrument(span.clone())
            .await;
            span.record("duration_ms", t0.elapsed().as_millis() as u64);
            let retry_after;
            match result {
                Ok((status, headers, body)) => {
                    span.record("status", status);
                    let body = match body {
                        Limited::Body(b) => b,
                        Limited::TooLarge => {
                            return Err(Error::BodyTooLarge { limit: 256 * 1024 });
                        }
                    };
                    if (200..300).contains(&status) {
                        return self.parse_token(status, &headers, &body);
                    }
                    if !retryable_status(status) {
                        return Err(token_refused(
                            &url, client_id, secret, status, &headers, &body,
                        ));
                    }
                    retry_after = headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let Some(delay) =
                        crate::policy::next_delay(&self.retry, &mut delays, started, retry_after)
                    else {
                        return Err(token_refused(
                            &url, client_id, secret, status, &headers, &body,
                        ));
                    };
                    tracing::warn!(parent: &span, status, delay_ms = delay.as_millis() as u64, "token request failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => {
                    let Some(delay) =
                        crate::policy::next_delay(&self.retry, &mut delays, started, None)
                    else {
                        return Err(Error::from_reqwest(&format!("token request to {url}"), e));
                    };
                    tracing::warn!(parent: &span, error = %e, delay_ms = delay.as_millis() as u64, "token request failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    fn parse_token(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<Token, Error> {
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<f64>,
        }
        let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            // Never show a body that may hold a token, nor serde's message
            // (which can quote values).
            let text = String::from_utf8_lossy(body);
            Error::Decode {
                status: Some(status),
                correlation_id: correlation_id(headers),
                // A token under another name (`accessToken`, `token`, ...)
                // must not show either: withhold any JSON body and anything
                // mentioning a token; show the rest (e.g. a proxy's HTML).
                excerpt: if text.to_ascii_lowercase().contains("token")
                    || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
                {
                    "[withheld: may contain a token]".into()
                } else {
                    excerpt(body)
                },
                reason: format!(
                    "the token response is not the expected JSON ({:?} error at line {} column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            }
        })?;
        let header = bearer_header(&parsed.access_token)?;
        let now = Instant::now();
        let (refresh_at, expires_at) = match parsed
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
        {
            Some(ttl) => {
                // Renew a little before expiry: a fifth of the lifetime, at
                // most a minute; stop using it a little before expiry too.
                let margin = (ttl / 5).min(Duration::from_secs(60));
                (Some(now + ttl - margin), Some(now + ttl - margin / 4))
            }
            None => (None, None),
        };
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::debug!(generation, "obtained an access token");
        Ok(Token {
            header,
            generation,
            refresh_at,
            expires_at,
        })
    }
}

pub(crate) fn correlation_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(&CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The header that carries the service's correlation id.
pub(crate) static CORRELATION_ID: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("inin-correlation-id");

/// `text` with the client secret, and the Basic credential that carries it,
/// replaced: a token endpoint may echo what it was sent.
fn redact(text: &str, client_id: &str, secret: &Secret) -> String {
    let mut out = text.to_string();
    let basic = reqwest::Client::new()
        .post("http://127.0.0.1/")
        .basic_auth(client_id, Some(secret.expose()))
        .build()
        .ok()
        .and_then(|r| {
            r.headers()
                .get(reqwest::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim_start_matches("Basic ").to_string())
        });
    for needle in [Some(secret.expose().to_string()), basic]
        .into_iter()
        .flatten()
    {
        if !needle.is_empty() {
            out = out.replace(&needle, "[redacted]");
        }
    }
    out
}

fn token_refused(
    url: &str,
    client_id: &str,
    secret: &Secret,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Error {
    #[derive(serde::Deserialize, Default)]
    struct OAuthError {
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        error_description: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        code: Option<String>,
    }
    let parsed: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    let code = parsed.error.or(parsed.code);
    let detail = parsed
        .description
        .or(parsed.error_description)
        .or(parsed.message)
        .unwrap_or_else(|| {
            if body.is_empty() {
                String::new()
            } else {
                excerpt(body)
            }
        });
    let what = redact(
        &format!(
            "HTTP {status}{}{}",
            code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        ),
        client_id,
        secret,
    );
    let code = code.map(|c| redact(&c, client_id, secret));
    let message = if matches!(status, 400 | 401 | 403) {
        format!(
            "the token endpoint {url} refused the credentials of OAuth client {client_id:?} ({what}); \
             check the client id and secret (GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET), \
             that the client uses the client-credentials grant, and that it belongs to this region"
        )
    } else {
        format!("the token request to {url} failed ({what})")
    };
    Error::Auth(AuthError {
        status,
        code,
        message,
        required_permission: None,
        correlation_id: correlation_id(headers),
        body: None,
    })
}
