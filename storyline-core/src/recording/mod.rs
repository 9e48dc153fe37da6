//! The recording state machine: pure, synchronous, no I/O and no clock.
//!
//! A [`Recording`] is what is known about one story's call. [`Recording::apply`] takes an
//! [`Event`] (a Twilio request, or something the server observed) and returns a
//! [`Transition`]: the new `Recording` and the [`Effect`]s the server must carry out. The
//! server stores the new value and runs the effects; the machine never does either.
//!
//! ```
//! use storyline_core::recording::{
//!     CallStatus, CallStatusCallback, Effect, Event, Recording, RecordingStatus,
//!     RecordingStatusCallback, Status,
//! };
//! use storyline_core::{CallSid, RecordingSid};
//!
//! let call_sid = CallSid::from_bytes([1; 16]);
//! let recording_sid = RecordingSid::from_bytes([2; 16]);
//! let recording = Recording::new();
//! assert_eq!(recording.status(), Status::Calling);
//!
//! // Callbacks arrive out of order: the recording's `completed` after the call's.
//! let call_completed = Event::from(CallStatusCallback {
//!     call_sid: call_sid.clone(),
//!     call_status: CallStatus::Completed,
//!     sequence_number: Some(3),
//!     call_duration: Some(48),
//! });
//! let recording_completed = Event::from(RecordingStatusCallback {
//!     call_sid,
//!     recording_sid: recording_sid.clone(),
//!     recording_status: RecordingStatus::Completed,
//!     recording_url: Some("https://api.twilio.com/2010-04-01/Accounts/AC…/Recordings/RE…".into()),
//!     recording_duration: Some(42),
//!     error_code: None,
//! });
//!
//! let hung_up = recording.apply(&call_completed).unwrap().recording;
//! assert_eq!(hung_up.status(), Status::HungUp);
//!
//! let saving = hung_up.apply(&recording_completed).unwrap();
//! assert_eq!(saving.recording.status(), Status::Processing);
//! assert!(saving.effects.contains(&Effect::Notify { status: Status::Processing }));
//! assert!(matches!(
//!     &saving.effects[..],
//!     [Effect::CopyMedia { recording_sid: sid, attempt: 1, .. }, ..] if *sid == recording_sid
//! ));
//!
//! // The same callback again changes nothing and asks for nothing.
//! let again = saving.recording.apply(&recording_completed).unwrap();
//! assert_eq!(again.recording, saving.recording);
//! assert!(again.effects.is_empty());
//! ```
//!
//! # Design: facts, not a transition table
//!
//! Twilio's callbacks are separate HTTP requests that arrive in any order, some twice, some
//! never. So a `Recording` keeps *facts* (the furthest call progress seen, the call's terminal
//! status, the recording's best outcome, the stored media…), each merged so that order and
//! repetition do not matter, and [`Recording::status`] derives the [`Status`] from them.
//! Effects are the difference between the old and the new facts. This gives the invariants
//! by construction:
//!
//! - a duplicate event changes nothing and emits no effects;
//! - out-of-order events never move the status backwards (`ringing` after `in-progress` is
//!   ignored; a late `ringing` after `no-answer` too);
//! - a completed recording wins over every other ending: a call `completed` that arrives
//!   before the recording's `completed` shows `hung_up` (or `processing` if the recording was
//!   seen to start) and becomes `processing` when the recording arrives; a story that was
//!   spoken always ends `processing`, then `complete`;
//! - `complete` is final: no event changes it;
//! - while storage is retried the status stays `processing`; it is never reported lost.
//!
//! How each ending is reached:
//!
//! | status | from |
//! |---|---|
//! | `complete` | [`Event::MediaStored`] |
//! | `processing` | a recording `completed` with a non-zero duration, or the call ended / `<Record action>` came after the recording began (waiting for its callback) |
//! | `no_recording` | recording `absent`, or `completed` with duration 0, or Twilio lists no recording for an ended call that had begun recording |
//! | `failed` | [`Event::CallRejected`], call `failed`, or recording `failed` |
//! | `machine` | `AnsweredBy` is a machine or fax ([`AnsweredBy::is_machine`]) |
//! | `busy`, `no_answer`, `canceled` | the call's terminal status |
//! | `hung_up` | call `completed` with no sign of a recording |
//!
//! # Errors and ignored events
//!
//! An event that contradicts what is known is an error ([`TransitionError`]) and changes
//! nothing: it names another call or recording, places a call Twilio refused (or refuses one
//! it placed), reports storage of a recording that is not completed, or carries a status
//! value this version does not know (the server should log it and answer Twilio `200`).
//!
//! These are ignored without error, because they are the ordinary result of retries and
//! races: the same event twice; a call status below the progress already seen; a second,
//! different terminal call status (Twilio sends one; the first is kept); a lower-ranked
//! recording outcome after a higher one (`completed` > `failed` > `absent`); recording
//! status `deleted` (only the server deletes, after storing); a storage report for an attempt
//! already reported, or any storage report after the media is stored (the first stored copy
//! is kept: store under a path derived from the recording so a second copy overwrites it);
//! a reconciliation whose attempt was already applied.
//!
//! Events carry `SequenceNumber` but ordering relies on ranks instead: reconciliations and
//! the TwiML requests have no sequence number, and ranks make the order irrelevant.

mod effect;
mod event;
mod facts;
mod status;
mod twilio;

#[cfg(test)]
mod tests;

pub use effect::{
    Effect, RECONCILE_FIRST_DELAY_SECS, RECONCILE_MAX_DELAY_SECS, STORAGE_RETRY_FIRST_DELAY_SECS,
    STORAGE_RETRY_MAX_DELAY_SECS, reconcile_delay_secs, storage_retry_delay_secs,
};
pub use event::{
    CallAnswered, CallStatusCallback, Event, Reconciliation, RecordAction, RecordingReport, RecordingStatusCallback,
    StoredMedia,
};
pub use facts::Recording;
pub use status::{Status, UnknownStatus};
pub use twilio::{AnsweredBy, CallStatus, RecordingStatus};

use crate::{CallSid, RecordingSid};

/// The result of applying an event: the new recording and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The recording after the event; store it.
    pub recording: Recording,
    /// What the server must do, in no particular order; empty when nothing changed.
    pub effects: Vec<Effect>,
}

/// Why a recording ended [`Status::Failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Twilio's error code, when there is one.
    pub code: Option<u32>,
    /// What went wrong.
    pub message: String,
}

/// An event that contradicts what is known about the recording. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The event is about another call.
    #[error("event for call {found}, but this recording's call is {expected}")]
    WrongCall {
        /// The call this recording belongs to.
        expected: CallSid,
        /// The call the event names.
        found: CallSid,
    },
    /// The event is about another recording than the one this call made.
    #[error("event for recording {found}, but this call's recording is {expected}")]
    WrongRecording {
        /// The recording already known.
        expected: RecordingSid,
        /// The recording the event names.
        found: RecordingSid,
    },
    /// Twilio refused to place the call, so no call event can follow.
    #[error("twilio refused to place this call")]
    AlreadyRejected,
    /// The call exists, so it cannot have been refused.
    #[error("the call was already placed")]
    AlreadyPlaced,
    /// A storage report for a recording that has not completed (or is empty).
    #[error("recording {0} has no completed media to store")]
    NothingToStore(RecordingSid),
    /// A status value this version does not know.
    #[error("unrecognised {field} `{value}`")]
    Unrecognised {
        /// The field, as Twilio names it, such as `CallStatus`.
        field: &'static str,
        /// The value received.
        value: String,
    },
}
