//! The retry policy.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The delays between a call's attempts.
pub(crate) type Delays = backon::ExponentialBackoff;

/// When and how often a failed request is tried again.
///
/// What is retried (the policy only tunes *how*):
/// - GETs and token requests: `429`, `500`, `502`, `503`, `504`, timeouts and
///   connection errors;
/// - the submit `POST`: only when the job provably was not created, i.e. on
///   `429` and on connection errors before the request was sent. Any other
///   failure of a submit returns [`Error::UnknownOutcome`](crate::Error::UnknownOutcome);
///   the client never submits twice.
///
/// Delays grow exponentially from [`initial_backoff`](Self::initial_backoff)
/// by [`factor`](Self::factor) up to [`max_backoff`](Self::max_backoff), each
/// with random jitter (up to +100 %), computed by `backon`'s
/// `ExponentialBuilder`. A `429`'s `Retry-After` (seconds or HTTP date) is
/// honoured instead, capped at [`max_retry_after`](Self::max_retry_after).
/// A call stops after [`max_attempts`](Self::max_attempts) attempts, or when
/// the next attempt would start after [`max_elapsed`](Self::max_elapsed)
/// (each attempt's timeout is also cut to what remains of it), so by default
/// a single call gives up within about 30 seconds.
///
/// ```
/// use genesys_iac::RetryPolicy;
/// use std::time::Duration;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(10)
///     .max_elapsed(Some(Duration::from_secs(120)));
/// let never = RetryPolicy::none();
/// assert_eq!(never.get_max_attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    factor: f32,
    jitter: bool,
    max_elapsed: Option<Duration>,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 250 ms doubling up to 8 s with jitter, 30 s overall,
    /// `Retry-After` capped at 20 s.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            factor: 2.0,
            jitter: true,
            max_elapsed: Some(Duration::from_secs(30)),
            max_retry_after: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every call makes exactly one attempt (the one
    /// token renewal on `401 credentials.expired` still happens).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            max_elapsed: None,
            ..Self::default()
        }
    }

    /// Total attempts per call, including the first (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The delay before the first retry.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The largest delay between two attempts (before jitter).
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The growth factor of the delay (at least 1.0).
    pub fn factor(mut self, f: f32) -> Self {
        self.factor = if f.is_finite() { f.max(1.0) } else { 2.0 };
        self
    }

    /// Whether to add random jitter to each delay (default on).
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The time after which no new attempt starts; `None` for no limit.
    pub fn max_elapsed(mut self, d: Option<Duration>) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The longest `Retry-After` honoured; longer values are cut to this.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Total attempts per call, including the first.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall time limit of one call, if any.
    pub fn get_max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The longest `Retry-After` honoured.
    pub fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The delays between attempts, from `backon` (`max_attempts - 1` of them).
    pub(crate) fn delays(&self) -> Delays {
        let mut b = ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(self.factor)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter {
            b = b.with_jitter();
        }
        b.build()
    }
}

/// Parses a `Retry-After` header: delta seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Duration::try_from_secs_f64(secs).ok();
        }
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_capped_and_counted() {
        let p = RetryPolicy::default().jitter(false);
        let d: Vec<_> = p.delays().collect();
        assert_eq!(d.len(), 4);
        assert_eq!(d[0], Duration::from_millis(250));
        assert_eq!(d[1], Duration::from_millis(500));
        let p = RetryPolicy::default()
            .max_attempts(20)
            .max_backoff(Duration::from_secs(1))
            .jitter(false);
        assert!(p.delays().all(|d| d <= Duration::from_secs(1)));
        assert_eq!(RetryPolicy::none().delays().count(), 0);
    }

    #[test]
    fn jitter_stays_within_double() {
        let p = RetryPolicy::default();
        for d in p.delays().take(1) {
            assert!(d >= Duration::from_millis(250) && d <= Duration::from_millis(500));
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
    }
}
