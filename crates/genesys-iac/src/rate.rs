//! The shared request budget.
//!
//! A sliding-window reservation scheduler: each request reserves the earliest
//! instant at which it keeps the number of requests in any window of length
//! `per` at or below `limit`, then sleeps until then. Requests are served in
//! arrival order; no lock is held while sleeping.
//!
//! Why not `governor`: its GCRA allows `burst + rate` requests in a window,
//! so matching a service limit of N per minute exactly needs a window log
//! anyway; this is ~30 lines on tokio's clock (testable with paused time) and
//! adds no dependency.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct RateBudget {
    limit: usize,
    per: Duration,
    /// The reserved start times of the last `limit` requests, non-decreasing.
    slots: Mutex<VecDeque<Instant>>,
}

impl RateBudget {
    pub(crate) fn new(limit: u32, per: Duration) -> Self {
        let limit = limit.max(1) as usize;
        Self {
            limit,
            per,
            slots: Mutex::new(VecDeque::with_capacity(limit.min(4096))),
        }
    }

    /// Reserves a slot and returns when it is reached.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let slot = self.reserve(now);
        // Within budget: no timer to register.
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }

    fn reserve(&self, now: Instant) -> Instant {
        let mut slots = match self.slots.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let slot = if slots.len() < self.limit {
            now
        } else {
            let oldest = slots[slots.len() - self.limit];
            now.max(oldest + self.per)
        };
        let slot = slots.back().map_or(slot, |last| slot.max(*last));
        slots.push_back(slot);
        while slots.len() > self.limit {
            slots.pop_front();
        }
        slot
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_per_window() {
        let b = std::sync::Arc::new(RateBudget::new(3, Duration::from_secs(10)));
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..7 {
            let b = b.clone();
            handles.push(tokio::spawn(async move {
                b.acquire().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for h in handles {
            times.push(h.await.unwrap() - start);
        }
        times.sort();
        assert_eq!(&times[..3], &[Duration::ZERO; 3]);
        assert_eq!(&times[3..6], &[Duration::from_secs(10); 3]);
        assert_eq!(times[6], Duration::from_secs(20));
        for w in times.windows(4) {
            assert!(w[3] - w[0] >= Duration::from_secs(10));
        }
    }
}
