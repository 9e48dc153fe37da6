//! What the server must do after a transition, as data.

use super::Status;
use crate::{CallSid, RecordingSid};

/// Delay before the second storage attempt; each later attempt waits twice as long.
pub const STORAGE_RETRY_FIRST_DELAY_SECS: u64 = 5;
/// Longest wait between storage attempts. Attempts never stop: Twilio keeps the recording
/// until it is deleted, and a story is never given up.
pub const STORAGE_RETRY_MAX_DELAY_SECS: u64 = 15 * 60;
/// Delay before the first reconciliation; each later one waits twice as long.
pub const RECONCILE_FIRST_DELAY_SECS: u64 = 60;
/// Longest wait between reconciliations.
pub const RECONCILE_MAX_DELAY_SECS: u64 = 60 * 60;

/// One thing to do. Effects of one transition are independent and may run in any order.
///
/// Deliberately not `#[non_exhaustive]`: the server must handle every effect, and a new one
/// should fail its build rather than be ignored by a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The status changed: push it to the page (live events) and any other listener.
    Notify {
        /// The new status.
        status: Status,
    },
    /// Copy the recording's media from Twilio into storage, then report
    /// [`Event::MediaStored`](super::Event::MediaStored) or
    /// [`Event::StorageFailed`](super::Event::StorageFailed) with this `attempt`.
    CopyMedia {
        /// The recording to copy.
        recording_sid: RecordingSid,
        /// Twilio's `RecordingUrl` (append `.mp3` for MP3). `None` if Twilio sent none: build
        /// it from the account and recording SIDs.
        media_url: Option<String>,
        /// Which attempt this is, from 1.
        attempt: u32,
    },
    /// After `after_secs`, carry out the [`Effect::CopyMedia`] these fields describe.
    ScheduleStorageRetry {
        /// The recording to copy.
        recording_sid: RecordingSid,
        /// As in [`Effect::CopyMedia`].
        media_url: Option<String>,
        /// Which attempt the retry is.
        attempt: u32,
        /// How long to wait, from [`storage_retry_delay_secs`].
        after_secs: u64,
    },
    /// Storage failed in a way retrying will not fix. The story stays `processing` and
    /// Twilio's copy is kept: tell an operator.
    StorageStuck {
        /// The recording that could not be stored.
        recording_sid: RecordingSid,
        /// Why, as reported.
        reason: String,
    },
    /// Delete the recording at Twilio (`DELETE …/Recordings/{sid}.json`): it is safely stored,
    /// or it is empty. Twilio's URL is no place to keep a story, and recordings cost money.
    DeleteTwilioRecording {
        /// The recording to delete.
        recording_sid: RecordingSid,
    },
    /// After `after_secs`, ask Twilio's REST API about the call and its recordings, then
    /// report [`Event::Reconciled`](super::Event::Reconciled) with this `attempt`.
    ///
    /// Emitted when an answered call has ended but its recording's outcome is unknown: the
    /// recording callbacks may be late or lost.
    ScheduleReconcile {
        /// The call to ask about.
        call_sid: CallSid,
        /// Which reconciliation this is, from 1.
        attempt: u32,
        /// How long to wait, from [`reconcile_delay_secs`].
        after_secs: u64,
    },
}

/// How long to wait before storage attempt `attempt` (the first retry is attempt 2).
///
/// ```
/// use storyline_core::recording::storage_retry_delay_secs;
/// assert_eq!(storage_retry_delay_secs(2), 5);
/// assert_eq!(storage_retry_delay_secs(3), 10);
/// assert_eq!(storage_retry_delay_secs(50), 900);
/// ```
pub fn storage_retry_delay_secs(attempt: u32) -> u64 {
    doubling(
        STORAGE_RETRY_FIRST_DELAY_SECS,
        STORAGE_RETRY_MAX_DELAY_SECS,
        attempt.saturating_sub(2),
    )
}

/// How long to wait before reconciliation `attempt` (from 1).
///
/// ```
/// use storyline_core::recording::reconcile_delay_secs;
/// assert_eq!(reconcile_delay_secs(1), 60);
/// assert_eq!(reconcile_delay_secs(2), 120);
/// assert_eq!(reconcile_delay_secs(20), 3600);
/// ```
pub fn reconcile_delay_secs(attempt: u32) -> u64 {
    doubling(
        RECONCILE_FIRST_DELAY_SECS,
        RECONCILE_MAX_DELAY_SECS,
        attempt.saturating_sub(1),
    )
}

fn doubling(first: u64, max: u64, doublings: u32) -> u64 {
    2u64.checked_pow(doublings)
        .and_then(|factor| first.checked_mul(factor))
        .map_or(max, |delay| delay.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_backoff_doubles_up_to_its_cap_without_overflow() {
        let delays: Vec<u64> = (1..=10).map(storage_retry_delay_secs).collect();
        assert_eq!(delays, [5, 5, 10, 20, 40, 80, 160, 320, 640, 900]);
        assert_eq!(storage_retry_delay_secs(u32::MAX), STORAGE_RETRY_MAX_DELAY_SECS);
    }

    #[test]
    fn reconcile_backoff_doubles_up_to_its_cap_without_overflow() {
        let delays: Vec<u64> = (1..=8).map(reconcile_delay_secs).collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(reconcile_delay_secs(u32::MAX), RECONCILE_MAX_DELAY_SECS);
    }
}
