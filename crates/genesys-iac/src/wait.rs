//! Waiting for a job to end, and watching it.

use std::time::Duration;

use futures_core::Stream;
use tokio::time::Instant;

use crate::{Client, Error, Job};

/// How [`Client::wait`], [`Client::watch`] and [`Client::submit_and_wait`]
/// poll a job.
///
/// The first poll happens at once; the next after
/// [`poll_interval`](Self::poll_interval), each following interval
/// multiplied by [`backoff`](Self::backoff) up to
/// [`max_interval`](Self::max_interval), and reset to `poll_interval` when the
/// status changes. Polling stops when the job reaches a terminal status, or
/// with [`Error::WaitTimeout`] (carrying the last job seen) after
/// [`timeout`](Self::timeout).
///
/// **Unknown statuses.** A status this version of the crate does not know
/// ([`JobStatus::Unknown`](crate::JobStatus::Unknown)) is treated as *not
/// terminal*: polling continues, a `tracing` warning is emitted once per
/// distinct value, and the timeout bounds the wait. (Treating it as terminal
/// could report a still-running job as finished; failing at once would break
/// every waiter the day the service adds a status.) The status never fails to
/// decode; it keeps its raw text, which [`Error::WaitTimeout`]'s message shows.
///
/// **Transient errors** while polling ([`Error::is_retryable`], after the
/// client's own retries) are logged and polling goes on until the timeout;
/// any other error ends the wait.
///
/// Terminal statuses are all returned as `Ok`: check
/// [`Job::is_success`](crate::Job::is_success). When
/// [`details`](Self::details) is on (the default), the terminal job is
/// fetched once more with details, so its results and error information are
/// present.
///
/// ```
/// use genesys_iac::WaitOptions;
/// use std::time::Duration;
///
/// let opts = WaitOptions::default()
///     .timeout(Duration::from_secs(600))
///     .poll_interval(Duration::from_millis(500))
///     .max_interval(Duration::from_secs(5));
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WaitOptions {
    timeout: Duration,
    poll_interval: Duration,
    backoff: f64,
    max_interval: Duration,
    details: bool,
}

impl Default for WaitOptions {
    /// 30 minutes, polls after 1 s growing ×1.5 up to 15 s, details on.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30 * 60),
            poll_interval: Duration::from_secs(1),
            backoff: 1.5,
            max_interval: Duration::from_secs(15),
            details: true,
        }
    }
}

impl WaitOptions {
    /// The defaults (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait overall before [`Error::WaitTimeout`].
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The first interval between polls (and the interval after a status
    /// change).
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }

    /// The factor by which the interval grows while the status stays the same
    /// (at least 1.0).
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The largest interval between polls.
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }

    /// Whether to fetch the terminal job with details (results, error info).
    pub fn details(mut self, on: bool) -> Self {
        self.details = on;
        self
    }

    /// The overall timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The first poll interval.
    pub fn get_poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// The largest poll interval.
    pub fn get_max_interval(&self) -> Duration {
        self.max_interval
    }
}

struct Watch {
    client: Client,
    job_id: String,
    opts: WaitOptions,
    deadline: Instant,
    interval: Duration,
    last: Option<Job>,
    first: bool,
    done: bool,
    warned: Vec<String>,
}

impl Watch {
    fn grow(&mut self) {
        let next = self.interval.mul_f64(self.opts.backoff);
        self.interval = next.min(self.opts.max_interval.max(self.opts.poll_interval));
    }

    async fn step(mut self) -> Option<(Result<Job, Error>, Self)> {
        loop {
            if self.done {
                return None;
            }
            if !self.first {
                let now = Instant::now();
                if now >= self.deadline {
                    self.done = true;
                    let err = Error::WaitTimeout {
                        job_id: self.job_id.clone(),
                        last: self.last.take().map(Box::new),
                    };
                    return Some((Err(err), self));
                }
                let wake = (now + self.interval).min(self.deadline);
                tokio::time::sleep_until(wake).await;
                if wake >= self.deadline {
                    // One last look at the deadline.
                    self.deadline = Instant::now();
                }
            }
            let first = std::mem::replace(&mut self.first, false);
            // Boxed: the request's state lives on the heap only while it
            // runs, so a waiter that sleeps between polls stays small (ten
            // thousand waiters are ten thousand of these states).
            let polled = Box::pin(self.client.job(self.job_id.clone()).send()).await;
            let job = match polled {
                Ok(job) => job,
                Err(e) if e.is_retryable() => {
                    tracing::warn!(job_id = %self.job_id, error = %e, "polling the job failed; will poll again");
                    self.grow();
                    continue;
                }
                Err(e) => {
                    self.done = true;
                    return Some((Err(e), self));
                }
            };
            if job.status().is_unknown() && !self.warned.iter().any(|w| w == job.status().as_str())
            {
                self.warned.push(job.status().as_str().to_string());
                tracing::warn!(
                    job_id = %self.job_id,
                    status = job.status().as_str(),
                    "the job has a status this version of genesys-iac does not know; \
                     treating it as not finished and polling until the wait timeout"
                );
            }
            if job.status().is_terminal() {
                self.done = true;
                let job = if self.opts.details {
                    match Box::pin(self.client.job(self.job_id.clone()).details(true).send()).await
                    {
                        Ok(detailed) => detailed,
                        Err(e) => {
                            tracing::warn!(job_id = %self.job_id, error = %e, "fetching the finished job's details failed");
                            job
                        }
                    }
                } else {
                    job
                };
                return Some((Ok(job), self));
            }
            let changed = self
                .last
                .as_ref()
                .is_none_or(|l| l.status() != job.status());
            if first || changed {
                self.interval = self.opts.poll_interval;
                self.last = Some(job.clone());
                return Some((Ok(job), self));
            }
            self.last = Some(job);
            self.grow();
        }
    }
}

pub(crate) fn watch(
    client: Client,
    job_id: String,
    opts: WaitOptions,
) -> impl Stream<Item = Result<Job, Error>> + Send + 'static {
    let state = Watch {
        deadline: Instant::now() + opts.timeout,
        interval: opts.poll_interval,
        client,
        job_id,
        opts,
        last: None,
        first: true,
        done: false,
        warned: Vec::new(),
    };
    futures_util::stream::unfold(state, Watch::step)
}
