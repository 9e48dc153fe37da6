//! When a failed attempt is tried again, and how long to wait first.
//!
//! The rule: an attempt is repeated only when repeating it cannot place a second phone call.
//!
//! | failure                               | GET, DELETE | POST `Calls.json` |
//! |---------------------------------------|-------------|-------------------|
//! | 429 Too Many Requests                 | retried     | retried           |
//! | 5xx                                   | retried     | **not** retried   |
//! | timeout                               | retried     | **not** retried   |
//! | connection refused / DNS (not sent)   | retried     | retried           |
//! | TLS handshake failure                 | not retried | not retried       |
//! | connection broke mid-request          | retried     | **not** retried   |
//!
//! A 429 means Twilio refused before doing anything, and a connect failure means the request
//! never left this machine, so neither can ring anyone. A 5xx or a timeout on create may come
//! after Twilio queued the call: repeating it could ring the storyteller twice, so the caller
//! gets the error and decides (for example by listing recent calls).

use std::time::Duration;

use super::error::{Error, TransportErrorKind};

/// Longest `Retry-After` this client waits for; a longer one is returned as the error instead.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether repeating a request could have an effect twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// Reads and deletes: repeating them changes nothing.
    Idempotent,
    /// `POST Calls.json`: repeating it may place a second call.
    CreatesCall,
}

impl RequestKind {
    /// Whether an attempt that failed like this may be repeated.
    pub(crate) fn may_retry(self, failure: &Failure) -> bool {
        let idempotent = self == RequestKind::Idempotent;
        match failure {
            Failure::Status(429) => true,
            Failure::Status(s) => (500..600).contains(s) && idempotent,
            Failure::Error(Error::Transport { kind, .. }) => match kind {
                TransportErrorKind::Connect => true,
                TransportErrorKind::Tls => false,
                _ => idempotent,
            },
            Failure::Error(Error::Timeout { .. }) => idempotent,
            Failure::Error(_) => false,
        }
    }
}

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Twilio answered with this status.
    Status(u16),
    /// There was no usable answer.
    Error(Error),
}

/// Attempts and backoff, set on the client builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in all, the first included; at least 1.
    pub(crate) max_attempts: u32,
    /// The wait before the second attempt, before jitter.
    pub(crate) initial_backoff: Duration,
    /// The longest wait between attempts, before jitter.
    pub(crate) max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after attempt number `attempt` (1-based) failed, or `None` to stop.
    ///
    /// `retry_after` is the server's `Retry-After`, honoured as given; `jitter` is a number in
    /// `[0, 1)` that spreads clients that failed together ("equal jitter": half the backoff is
    /// fixed, half random).
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= MAX_RETRY_AFTER).then_some(wait);
        }
        let exp = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        let backoff = self.initial_backoff.saturating_mul(exp).min(self.max_backoff);
        let half = backoff / 2;
        Some(half + half.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

/// A `Retry-After` header value in seconds (Twilio does not send the HTTP-date form).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A random number in `[0, 1)`; without a random source, no jitter.
pub(crate) fn jitter() -> f64 {
    getrandom::u32().map_or(0.0, |r| f64::from(r) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout() -> Failure {
        Failure::Error(Error::Timeout {
            after: Duration::from_secs(1),
        })
    }

    fn transport(kind: TransportErrorKind) -> Failure {
        Failure::Error(Error::Transport {
            kind,
            source: "x".into(),
        })
    }

    #[test]
    fn create_call_is_retried_only_when_nothing_can_have_been_placed() {
        let create = RequestKind::CreatesCall;
        assert!(create.may_retry(&Failure::Status(429)));
        assert!(create.may_retry(&transport(TransportErrorKind::Connect)));
        assert!(!create.may_retry(&Failure::Status(500)));
        assert!(!create.may_retry(&Failure::Status(503)));
        assert!(!create.may_retry(&timeout()));
        assert!(!create.may_retry(&transport(TransportErrorKind::Io)));
    }

    #[test]
    fn reads_and_deletes_are_retried_on_429_5xx_timeouts_and_broken_connections() {
        let get = RequestKind::Idempotent;
        for s in [429, 500, 502, 503, 504] {
            assert!(get.may_retry(&Failure::Status(s)), "{s}");
        }
        assert!(get.may_retry(&timeout()));
        assert!(get.may_retry(&transport(TransportErrorKind::Io)));
        assert!(get.may_retry(&transport(TransportErrorKind::Connect)));
    }

    #[test]
    fn client_errors_and_tls_failures_are_never_retried() {
        for kind in [RequestKind::Idempotent, RequestKind::CreatesCall] {
            for s in [400, 401, 403, 404, 422] {
                assert!(!kind.may_retry(&Failure::Status(s)), "{s}");
            }
            assert!(!kind.may_retry(&transport(TransportErrorKind::Tls)));
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stops_after_max_attempts() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        // With jitter 0 the wait is half the backoff; with jitter near 1 it nears the whole.
        assert_eq!(p.delay(1, None, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(p.delay(2, None, 0.0), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(3, None, 0.0), Some(Duration::from_millis(150)));
        assert_eq!(p.delay(4, None, 0.0), Some(Duration::from_millis(150)));
        assert_eq!(p.delay(2, None, 0.5), Some(Duration::from_millis(150)));
        assert_eq!(p.delay(5, None, 0.0), None);
    }

    #[test]
    fn retry_after_is_honoured_unless_too_long() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2)), 0.9),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600)), 0.0), None);
        assert_eq!(p.delay(3, Some(Duration::from_secs(1)), 0.0), None);
    }

    #[test]
    fn parses_retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let p = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(1000, None, 0.0), Some(p.max_backoff / 2));
    }
}
