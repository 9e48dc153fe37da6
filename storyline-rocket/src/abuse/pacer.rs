//! Outbound calls paced to the Twilio account's calls per second, shared by every request: each call gets its own
//! moment, at least `1 / calls_per_second` after the one before, so the server never places calls faster than Twilio
//! would run them (beyond that rate Twilio queues calls, and the storyteller waits without being told).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out the moments at which calls may be placed.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

/// A reserved moment to place one call.
#[derive(Debug)]
#[must_use = "a reserved turn is lost unless the call is placed"]
pub(crate) struct Turn {
    at: Instant,
}

impl Pacer {
    /// Paces calls to `calls_per_second`, which must be positive and finite.
    pub(crate) fn new(calls_per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / calls_per_second),
            next: Mutex::new(None),
        }
    }

    /// Reserves the next free moment, unless it is more than `at_most` away (then nothing is reserved).
    pub(crate) fn reserve(&self, at_most: Duration) -> Option<Turn> {
        let now = Instant::now();
        let mut next = self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = next.map_or(now, |n| n.max(now));
        if at.duration_since(now) > at_most {
            return None;
        }
        *next = Some(at + self.interval);
        Some(Turn { at })
    }
}

impl Turn {
    /// How long until this turn comes.
    pub(crate) fn wait_time(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Waits until this turn comes.
    pub(crate) async fn wait(self) {
        tokio::time::sleep_until(self.at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_are_spaced_by_the_interval() {
        let pacer = Pacer::new(2.0);
        let turns: Vec<Turn> = (0..5)
            .map(|_| pacer.reserve(Duration::from_secs(60)).expect("a turn"))
            .collect();
        assert!(
            turns[0].wait_time() < Duration::from_millis(50),
            "the first call goes at once"
        );
        for pair in turns.windows(2) {
            assert_eq!(pair[1].at - pair[0].at, Duration::from_millis(500));
        }
    }

    #[tokio::test]
    async fn refuses_a_turn_beyond_the_longest_wait_without_reserving_it() {
        let pacer = Pacer::new(1.0);
        let first = pacer.reserve(Duration::from_secs(2)).expect("a turn");
        let second = pacer.reserve(Duration::from_secs(2)).expect("a turn");
        let third = pacer.reserve(Duration::from_secs(2)).expect("a turn");
        assert!(pacer.reserve(Duration::from_secs(2)).is_none());
        // The refused request left no gap: the next turn that fits follows the third directly.
        let fourth = pacer.reserve(Duration::from_secs(5)).expect("a turn");
        assert_eq!(fourth.at - third.at, Duration::from_secs(1));
        assert_eq!(second.at - first.at, Duration::from_secs(1));
    }

    #[tokio::test]
    async fn an_idle_pacer_does_not_save_up_turns() {
        let pacer = Pacer::new(20.0);
        let _first = pacer.reserve(Duration::ZERO).expect("a turn");
        tokio::time::sleep(Duration::from_millis(120)).await;
        // Long after the last call, two calls at once are still spaced: no burst from the idle time.
        let a = pacer.reserve(Duration::from_secs(1)).expect("a turn");
        let b = pacer.reserve(Duration::from_secs(1)).expect("a turn");
        assert_eq!(b.at - a.at, Duration::from_millis(50));
    }
}
