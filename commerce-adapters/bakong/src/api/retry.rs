//! Bounded retries with exponential backoff and jitter.

use std::time::Duration;

use rand::Rng;

/// How the client retries a request that failed with HTTP 429, a 5xx status, a connection
/// error or a timeout. Other 4xx answers are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles for each one after.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts (also caps a server's `Retry-After`).
    pub max_backoff: Duration,
    /// Randomize each wait between half and all of it, so that many clients do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 200 ms doubling up to 5 s, with jitter.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// `max_retries` retries waiting `initial`, doubling up to `max`, with jitter.
    pub fn new(max_retries: u32, initial: Duration, max: Duration) -> Self {
        RetryPolicy { max_retries, initial_backoff: initial, max_backoff: max, jitter: true }
    }

    /// The same policy with jitter turned on or off.
    pub fn with_jitter(self, jitter: bool) -> Self {
        RetryPolicy { jitter, ..self }
    }

    /// The wait before retry number `retry` (0 for the first retry), given the server's
    /// `Retry-After` if it sent one. Never more than `max_backoff`.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let exponential = self.initial_backoff.saturating_mul(factor).min(self.max_backoff);
        let wait = if self.jitter && !exponential.is_zero() {
            let half = exponential / 2;
            let spread = u64::try_from((exponential - half).as_micros()).unwrap_or(u64::MAX);
            half + Duration::from_micros(rand::rng().random_range(0..=spread))
        } else {
            exponential
        };
        match retry_after {
            Some(server) => wait.max(server).min(self.max_backoff),
            None => wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy =
            RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(1)).with_jitter(false);
        let table = [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (40, 1000)];
        for (retry, millis) in table {
            assert_eq!(policy.backoff(retry, None), Duration::from_millis(millis), "retry {retry}");
        }
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(10));
        for retry in 0..6 {
            let full = Duration::from_millis(100) * (1 << retry);
            for _ in 0..50 {
                let wait = policy.backoff(retry, None);
                assert!(
                    wait >= full / 2 && wait <= full,
                    "retry {retry}: {wait:?} outside [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
    }

    #[test]
    fn retry_after_is_obeyed_up_to_the_cap() {
        let policy =
            RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(2)).with_jitter(false);
        assert_eq!(policy.backoff(0, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(policy.backoff(0, Some(Duration::from_secs(60))), Duration::from_secs(2));
        assert_eq!(policy.backoff(0, Some(Duration::ZERO)), Duration::from_millis(10));
    }
}
