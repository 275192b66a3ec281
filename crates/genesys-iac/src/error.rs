//! The one error type of the crate.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use genesys_iac_client::types::ErrorBody;

use crate::job::Job;

/// Everything that can go wrong, as one enum a caller can match on.
///
/// Every variant's message says what happened and, where there is one, what
/// to do about it. Helpers: [`Error::status`], [`Error::correlation_id`]
/// (quote it to Genesys support) and [`Error::is_retryable`].
///
/// No message, field or `Debug` output contains a secret (client secret or
/// access token).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status and (usually) an
    /// `ErrorBody`: bad request, not found, rate limited, server error.
    #[error(transparent)]
    Api(ApiError),

    /// Authentication or authorization failed: the token endpoint refused the
    /// credentials, the API answered `401` (token missing, invalid or
    /// expired) or `403` (a permission is missing; the message names it).
    #[error(transparent)]
    Auth(AuthError),

    /// The request could not be carried out at the network level
    /// (connection refused or reset, DNS, TLS).
    #[error(transparent)]
    Transport(TransportError),

    /// The request, or reading its response, took longer than the configured
    /// timeout.
    #[error(transparent)]
    Timeout(TransportError),

    /// A response arrived but its body could not be decoded (a gateway's HTML
    /// page, truncated JSON, a shape this version does not know).
    #[error(
        "could not decode the response{}{}: {reason}; body starts with: {excerpt:?}",
        status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
        correlation_suffix(correlation_id.as_deref())
    )]
    Decode {
        /// The HTTP status of the response, when known.
        status: Option<u16>,
        /// The `inin-correlation-id` header of the response, when present.
        correlation_id: Option<String>,
        /// The first 200 characters or so of the body.
        excerpt: String,
        /// Why decoding failed.
        reason: String,
    },

    /// The caller's input is invalid (empty accelerator id, duplicate
    /// parameter name, empty job id, ...). Nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The client configuration is invalid (unknown region, plain `http://`
    /// to a non-loopback host, no credentials, ...).
    #[error("configuration error: {0}")]
    Config(String),

    /// [`Client::wait`](crate::Client::wait) gave up before the job ended.
    /// The job keeps running on the service.
    #[error(
        "job {job_id} did not finish within the wait timeout{}",
        last.as_ref().map(|j| format!(" (last status: {})", j.status())).unwrap_or_default()
    )]
    WaitTimeout {
        /// The job waited for.
        job_id: String,
        /// The last state observed, if any poll succeeded.
        last: Option<Box<Job>>,
    },

    /// A submit failed in a way that does not tell whether the job was
    /// created (e.g. `5xx`, timeout or connection reset after the request was
    /// sent, an unreadable `200`). The client never resubmits by itself:
    /// check the history (accelerator id, jobs submitted after
    /// `submitted_after`) before submitting again.
    #[error(
        "the outcome of submitting {} job for accelerator {accelerator_id:?} is unknown: {reason}{}. \
         The job may or may not have been created; check the job history for this accelerator \
         (jobs submitted after {}) before submitting again",
        if *dry_run { "a dry-run" } else { "an apply" },
        correlation_suffix(correlation_id.as_deref().filter(|c| !reason.contains(c))),
        submitted_after.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )]
    UnknownOutcome {
        /// The accelerator of the submitted job.
        accelerator_id: String,
        /// Whether the submitted job was a dry run.
        dry_run: bool,
        /// A time shortly before the request was sent (client clock).
        submitted_after: DateTime<Utc>,
        /// What went wrong.
        reason: String,
        /// The HTTP status of the last response, if one arrived.
        status: Option<u16>,
        /// The `inin-correlation-id` header of the last response, if any.
        correlation_id: Option<String>,
    },

    /// A response body was larger than the configured maximum
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)).
    #[error("the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
}

fn correlation_suffix(id: Option<&str>) -> String {
    id.map(|c| format!(" [correlation id {c}]"))
        .unwrap_or_default()
}

impl Error {
    /// The HTTP status behind this error, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Auth(e) => Some(e.status),
            Error::Decode { status, .. } | Error::UnknownOutcome { status, .. } => *status,
            _ => None,
        }
    }

    /// The `inin-correlation-id` of the response behind this error, when one
    /// arrived. Genesys support asks for it.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.correlation_id.as_deref(),
            Error::Auth(e) => e.correlation_id.as_deref(),
            Error::Decode { correlation_id, .. } | Error::UnknownOutcome { correlation_id, .. } => {
                correlation_id.as_deref()
            }
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed: transport
    /// errors, timeouts, and statuses 408, 429, 500, 502, 503, 504.
    ///
    /// Always `false` for [`Error::UnknownOutcome`]: check the history first.
    /// The client has already retried what it safely could (see
    /// [`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) | Error::Timeout(_) => true,
            Error::Api(_) | Error::Auth(_) | Error::Decode { .. } => {
                self.status().is_some_and(retryable_status)
            }
            _ => false,
        }
    }
}

pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// An error answer of the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status, e.g. `404`.
    pub status: u16,
    /// The `code` of the error body, e.g. `not.found`.
    pub code: Option<String>,
    /// The `message` of the error body, or the status text when there is none.
    pub message: String,
    /// The `inin-correlation-id` response header.
    pub correlation_id: Option<String>,
    /// The full error body, when the response carried one.
    pub body: Option<Box<ErrorBody>>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if self.status == 429 {
            f.write_str(" (rate limited; retries were exhausted)")?;
        }
        f.write_str(&correlation_suffix(self.correlation_id.as_deref()))
    }
}

impl std::error::Error for ApiError {}

/// An authentication or authorization failure.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthError {
    /// The HTTP status: `400`/`401` from the token endpoint, `401` or `403`
    /// from the API.
    pub status: u16,
    /// The error code: the OAuth `error` (e.g. `invalid_client`) or the API's
    /// `code` (e.g. `credentials.expired`, `missing.permissions`).
    pub code: Option<String>,
    /// A message a person can act on (names the missing permission or the
    /// refused credential).
    pub message: String,
    /// For a `403`: the permission the operation requires.
    pub required_permission: Option<String>,
    /// The `inin-correlation-id` response header.
    pub correlation_id: Option<String>,
    /// The API's error body, when there was one.
    pub body: Option<Box<ErrorBody>>,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        f.write_str(&correlation_suffix(self.correlation_id.as_deref()))
    }
}

impl std::error::Error for AuthError {}

/// A network-level failure (also used for timeouts).
#[derive(Debug, Clone)]
pub struct TransportError {
    pub(crate) message: String,
    pub(crate) connect: bool,
    pub(crate) source: Option<Arc<reqwest::Error>>,
}

impl TransportError {
    pub(crate) fn from_reqwest(context: &str, err: reqwest::Error) -> Self {
        // reqwest's Display names the URL; our URLs never carry secrets.
        let mut message = format!("{context}: {err}");
        let mut src = std::error::Error::source(&err);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        Self {
            message,
            connect: err.is_connect(),
            source: Some(Arc::new(err)),
        }
    }

    /// Whether the failure happened while connecting, i.e. before the request
    /// was sent.
    pub fn is_connect(&self) -> bool {
        self.connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// Builds `Transport` or `Timeout` from a reqwest error.
    pub(crate) fn from_reqwest(context: &str, err: reqwest::Error) -> Self {
        let timeout = err.is_timeout();
        let t = TransportError::from_reqwest(context, err);
        if timeout {
            Error::Timeout(t)
        } else {
            Error::Transport(t)
        }
    }
}

/// A short, printable excerpt of a body: the first 200 characters.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_truncates() {
        let long = "x".repeat(1000);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), 201);
        assert_eq!(excerpt(b"<html>"), "<html>");
    }

    #[test]
    fn helpers() {
        let e = Error::Api(ApiError {
            status: 503,
            code: Some("service.unavailable".into()),
            message: "down".into(),
            correlation_id: Some("c-1".into()),
            body: None,
        });
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(503));
        assert_eq!(e.correlation_id(), Some("c-1"));
        assert!(e.to_string().contains("c-1"));
        let u = Error::UnknownOutcome {
            accelerator_id: "a".into(),
            dry_run: false,
            submitted_after: Utc::now(),
            reason: "HTTP 500".into(),
            status: Some(500),
            correlation_id: None,
        };
        assert!(!u.is_retryable());
        assert!(u.to_string().contains("check the job history"));
    }
}
