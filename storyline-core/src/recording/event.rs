//! What can happen to a recording: Twilio's requests, spelled as Twilio sends them, and the
//! server's own observations.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::Deserialize;

use super::twilio::{AnsweredBy, CallStatus, RecordingStatus};
use crate::{CallSid, RecordingSid};

/// Something that happened to a recording, fed to [`Recording::apply`](super::Recording::apply).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Twilio accepted the `Calls.json` request (`201`) and named the call.
    CallPlaced {
        /// The new call's SID.
        call_sid: CallSid,
    },
    /// Twilio refused to place the call (invalid number, no permission, outage).
    CallRejected {
        /// Twilio's error code, such as `21211`, when Twilio answered with one.
        code: Option<u32>,
        /// What went wrong, for the storyteller and the operator.
        message: String,
    },
    /// A call status callback.
    CallStatus(CallStatusCallback),
    /// The TwiML request Twilio makes when the call is answered (`call_started`).
    ///
    /// Answer it with the greeting and `<Record>` only if the resulting status is
    /// [`Status::InProgress`](super::Status::InProgress); otherwise (an answering machine, a
    /// canceled or finished recording) answer `<Hangup/>`.
    CallAnswered(CallAnswered),
    /// The request to `<Record action>`, made when recording stops.
    RecordAction(RecordAction),
    /// A recording status callback (`recording_status_updated`).
    RecordingStatus(RecordingStatusCallback),
    /// The server copied the recording's media into its own storage.
    MediaStored {
        /// The recording that was copied.
        recording_sid: RecordingSid,
        /// Where it is now.
        media: StoredMedia,
    },
    /// Copying the recording's media into storage failed.
    StorageFailed {
        /// The recording being copied.
        recording_sid: RecordingSid,
        /// Which attempt failed: the `attempt` of the effect that asked for it.
        attempt: u32,
        /// Whether trying again may help (timeouts, 5xx, a full disk) or not (Twilio's
        /// `404` for a deleted recording, a media file storage refuses).
        retryable: bool,
        /// What went wrong, for the operator.
        reason: String,
    },
    /// What Twilio's REST API says about a call whose callbacks may have been lost.
    Reconciled(Reconciliation),
}

/// Twilio's call status callback (`StatusCallback`), as its form fields arrive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallStatusCallback {
    /// `CallSid`.
    pub call_sid: CallSid,
    /// `CallStatus`.
    pub call_status: CallStatus,
    /// `SequenceNumber`: the callback's place among this call's callbacks, from 0.
    #[serde(default, deserialize_with = "lenient")]
    pub sequence_number: Option<u32>,
    /// `CallDuration` in seconds, sent with terminal statuses.
    #[serde(default, deserialize_with = "lenient")]
    pub call_duration: Option<u32>,
}

/// The TwiML request Twilio makes when the call is answered, as its form fields arrive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallAnswered {
    /// `CallSid`.
    pub call_sid: CallSid,
    /// `AnsweredBy`, present when machine detection is on.
    #[serde(default, deserialize_with = "lenient")]
    pub answered_by: Option<AnsweredBy>,
}

/// The request to `<Record action>`, as its form fields arrive.
///
/// Its `RecordingUrl` may still answer `404`: only the recording status callback says the
/// file is ready.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordAction {
    /// `CallSid`.
    pub call_sid: CallSid,
    /// `RecordingSid`, when Twilio sends it.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_sid: Option<RecordingSid>,
    /// `RecordingUrl`.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_url: Option<String>,
    /// `RecordingDuration` in seconds, before silence is trimmed.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u32>,
    /// `Digits`: the finish key pressed, or `hangup`; absent when the recording timed out
    /// or reached its maximum length.
    #[serde(default, deserialize_with = "lenient")]
    pub digits: Option<String>,
}

/// Twilio's recording status callback (`recordingStatusCallback`), as its form fields arrive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordingStatusCallback {
    /// `CallSid`.
    pub call_sid: CallSid,
    /// `RecordingSid`.
    pub recording_sid: RecordingSid,
    /// `RecordingStatus`.
    pub recording_status: RecordingStatus,
    /// `RecordingUrl`: where to fetch the media once `completed`.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_url: Option<String>,
    /// `RecordingDuration` in seconds, sent with `completed`.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u32>,
    /// `ErrorCode`, sent with `failed` (and as `0` by some accounts otherwise).
    #[serde(default, deserialize_with = "lenient")]
    pub error_code: Option<u32>,
}

/// Where the server stored a recording's media.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct StoredMedia {
    /// Path or key in the server's storage.
    pub path: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Length in seconds, when the server measured it.
    pub duration_secs: Option<u32>,
    /// Exact length in milliseconds, when the server measured it.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// The answer of Twilio's REST API about a call: its status and the recordings it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The `attempt` of the [`Effect::ScheduleReconcile`](super::Effect::ScheduleReconcile)
    /// that asked for it.
    pub attempt: u32,
    /// The call asked about.
    pub call_sid: CallSid,
    /// The call's `status`.
    pub call_status: CallStatus,
    /// The call's `duration` in seconds.
    pub call_duration: Option<u32>,
    /// The call's recordings (`GET …/Calls/{CallSid}/Recordings.json`).
    pub recordings: Vec<RecordingReport>,
}

/// One recording in a [`Reconciliation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingReport {
    /// `sid`.
    pub recording_sid: RecordingSid,
    /// `status`.
    pub status: RecordingStatus,
    /// `duration` in seconds.
    pub duration_secs: Option<u32>,
    /// Where to fetch the media: `media_url`, or the `uri` without `.json`.
    pub media_url: Option<String>,
    /// `error_code`.
    pub error_code: Option<u32>,
}

impl From<CallStatusCallback> for Event {
    fn from(callback: CallStatusCallback) -> Self {
        Event::CallStatus(callback)
    }
}

impl From<CallAnswered> for Event {
    fn from(request: CallAnswered) -> Self {
        Event::CallAnswered(request)
    }
}

impl From<RecordAction> for Event {
    fn from(request: RecordAction) -> Self {
        Event::RecordAction(request)
    }
}

impl From<RecordingStatusCallback> for Event {
    fn from(callback: RecordingStatusCallback) -> Self {
        Event::RecordingStatus(callback)
    }
}

impl From<Reconciliation> for Event {
    fn from(reconciliation: Reconciliation) -> Self {
        Event::Reconciled(reconciliation)
    }
}

/// An optional field that Twilio may send empty (`ErrorCode=`), read from a form string or
/// from a JSON number.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    struct Lenient<T>(PhantomData<T>);

    impl<T: FromStr> serde::de::Visitor<'_> for Lenient<T>
    where
        T::Err: fmt::Display,
    {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }

        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse().map(Some).map_err(E::custom)
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    d.deserialize_any(Lenient(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: &str = "CA5e7f1d0b3c2a4e6f8091a2b3c4d5e6f7";
    const RECORDING: &str = "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9";

    #[test]
    fn reads_a_real_call_status_callback() {
        let body = format!(
            "Called=%2B12015550100&ToState=NJ&CallerCountry=US&Direction=outbound-api\
             &Timestamp=Tue%2C%2014%20Jan%202025%2018%3A04%3A21%20%2B0000\
             &CallbackSource=call-progress-events&SequenceNumber=3&CallStatus=completed\
             &CallDuration=48&AccountSid=AC0123456789abcdef0123456789abcdef\
             &CallSid={CALL}&To=%2B12015550100&From=%2B12015550199&ApiVersion=2010-04-01\
             &SipResponseCode=200"
        );
        let callback: CallStatusCallback = serde_urlencoded::from_str(&body).unwrap();
        assert_eq!(callback.call_sid.as_str(), CALL);
        assert_eq!(callback.call_status, CallStatus::Completed);
        assert_eq!(callback.sequence_number, Some(3));
        assert_eq!(callback.call_duration, Some(48));
    }

    #[test]
    fn reads_a_real_recording_status_callback_with_an_empty_error_code() {
        let body = format!(
            "RecordingSource=RecordVerb&RecordingSid={RECORDING}\
             &RecordingUrl=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC0123456789abcdef0123456789abcdef%2FRecordings%2F{RECORDING}\
             &RecordingStatus=completed&RecordingChannels=1&ErrorCode=\
             &CallSid={CALL}&RecordingStartTime=Tue%2C%2014%20Jan%202025%2018%3A03%3A40%20%2B0000\
             &AccountSid=AC0123456789abcdef0123456789abcdef&RecordingDuration=42"
        );
        let callback: RecordingStatusCallback = serde_urlencoded::from_str(&body).unwrap();
        assert_eq!(callback.recording_status, RecordingStatus::Completed);
        assert_eq!(callback.recording_duration, Some(42));
        assert_eq!(callback.error_code, None);
        assert!(callback.recording_url.unwrap().ends_with(RECORDING));
    }

    #[test]
    fn reads_answered_by_and_record_action_fields() {
        let answered: CallAnswered = serde_urlencoded::from_str(&format!(
            "CallSid={CALL}&CallStatus=in-progress&AnsweredBy=machine_end_beep"
        ))
        .unwrap();
        assert_eq!(answered.answered_by, Some(AnsweredBy::MachineEndBeep));

        let action: RecordAction = serde_urlencoded::from_str(&format!(
            "CallSid={CALL}&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2Fr&RecordingDuration=12&Digits=hangup"
        ))
        .unwrap();
        assert_eq!(action.digits.as_deref(), Some("hangup"));
        assert_eq!(action.recording_duration, Some(12));
        assert_eq!(action.recording_sid, None);
    }

    #[test]
    fn refuses_a_callback_with_a_malformed_sid() {
        let body = "CallSid=CA123&CallStatus=ringing";
        assert!(serde_urlencoded::from_str::<CallStatusCallback>(body).is_err());
    }
}
