//! When to retry a request, and how long to wait.
//!
//! Stripe's rules: obey the `Stripe-Should-Retry` header when present; otherwise retry connection
//! errors (including timeouts), `409 Conflict` and `5xx`, and nothing else. Every retry of a POST
//! carries the same `Idempotency-Key`, so Stripe replays instead of charging twice.

use std::time::Duration;

use rand::Rng;

/// How many times to retry, and the backoff between tries.
///
/// The wait before retry `n` (0-based) is `initial_backoff * 2^n`, capped at `max_backoff`, then
/// with jitter scaled by a random factor in `[0.5, 1.0]` so that many clients do not retry in
/// step. A `Retry-After` header raises the wait (still capped at `max_backoff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// Two retries, 500 ms then 1 s (with jitter), at most 5 s: Stripe's SDK defaults.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// `max_retries` retries after the first try, waiting `initial_backoff * 2^n` (capped).
    pub fn new(max_retries: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        RetryPolicy {
            max_retries,
            initial_backoff,
            max_backoff: max_backoff.max(initial_backoff),
            jitter: true,
        }
    }

    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..Self::default() }
    }

    /// The same policy without jitter (deterministic waits).
    pub fn without_jitter(self) -> Self {
        RetryPolicy { jitter: false, ..self }
    }

    /// Retries after the first try.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// How long to wait before retry number `retry` (0-based).
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.initial_backoff.saturating_mul(2_u32.saturating_pow(retry.min(30)));
        let mut wait = exp.min(self.max_backoff);
        if self.jitter {
            // A factor in [0.5, 1.0], in thousandths; integer arithmetic only.
            let permille = rand::rng().random_range(500_u32..=1000);
            wait = wait.saturating_mul(permille) / 1000;
        }
        match retry_after {
            Some(r) => wait.max(r.min(self.max_backoff)),
            None => wait,
        }
    }
}

/// What one try produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No response: connection refused or reset, timeout.
    NoResponse,
    /// A response with this status and `Stripe-Should-Retry` header (if any).
    Status { status: u16, should_retry: Option<bool> },
}

/// Whether Stripe says the request may be retried.
pub(crate) fn is_retryable(outcome: Outcome) -> bool {
    match outcome {
        Outcome::NoResponse => true,
        Outcome::Status { should_retry: Some(says), .. } => says,
        Outcome::Status { status, should_retry: None } => status == 409 || (500..=599).contains(&status),
    }
}

/// Reads the `Stripe-Should-Retry` header.
pub(crate) fn parse_should_retry(value: Option<&str>) -> Option<bool> {
    match value?.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads a `Retry-After` header given in seconds.
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Outcome, expected: bool) {
        assert_eq!(is_retryable(outcome), expected, "{outcome:?}");
    }

    #[test]
    fn retry_decisions_follow_stripe() {
        let st = |status, should_retry| Outcome::Status { status, should_retry };
        let table = [
            (Outcome::NoResponse, true),
            (st(409, None), true),
            (st(500, None), true),
            (st(502, None), true),
            (st(503, None), true),
            (st(400, None), false),
            (st(401, None), false),
            (st(402, None), false),
            (st(404, None), false),
            (st(429, None), false),
            // The header wins in both directions.
            (st(429, Some(true)), true),
            (st(400, Some(true)), true),
            (st(500, Some(false)), false),
            (st(409, Some(false)), false),
        ];
        for (outcome, expected) in table {
            check(outcome, expected);
        }
    }

    #[test]
    fn headers_parse() {
        for (raw, want) in
            [(Some("true"), Some(true)), (Some(" False "), Some(false)), (Some("maybe"), None), (None, None)]
        {
            assert_eq!(parse_should_retry(raw), want, "{raw:?}");
        }
        assert_eq!(parse_retry_after(Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_within_half() {
        let p = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_millis(500)).without_jitter();
        let waits: Vec<u128> = (0..5).map(|n| p.backoff(n, None).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        assert_eq!(p.backoff(0, Some(Duration::from_secs(60))), Duration::from_millis(500));
        assert_eq!(p.backoff(40, None), Duration::from_millis(500));
        let j = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(10));
        for n in 0..4 {
            let full = 100_u128 << n;
            for _ in 0..50 {
                let w = j.backoff(n, None).as_micros();
                assert!(w * 2 >= full * 1000 && w <= full * 1000, "retry {n}: {w}us");
            }
        }
    }
}
