//! The one waiter: every test that waits for a status, an event or a page paces its polling with [`Waiter`].

use std::time::Duration;

/// Paces a poll: a look, then [`Waiter::again`], until the deadline.
pub struct Waiter {
    deadline: tokio::time::Instant,
    every: Duration,
}

impl Waiter {
    /// Looks every `every`, for at most `within`.
    pub fn new(within: Duration, every: Duration) -> Waiter {
        Waiter {
            deadline: tokio::time::Instant::now() + within,
            every,
        }
    }

    /// Waits before the next look; `false` once the time is up (look no more, and fail).
    pub async fn again(&self) -> bool {
        if tokio::time::Instant::now() >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.every).await;
        true
    }
}
