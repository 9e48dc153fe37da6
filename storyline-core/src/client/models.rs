//! What Twilio answers: the `Call` and `Recording` resources and their status enums.
//!
//! Every field is optional because Twilio's OpenAPI description marks every field nullable, and
//! unknown fields are ignored because Twilio adds fields without notice. Dates are kept as the
//! RFC 2822 strings Twilio sends (`Tue, 31 Aug 2010 20:36:28 +0000`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

pub use crate::recording::{CallStatus, RecordingStatus};
use crate::{AccountSid, CallSid, RecordingSid};

/// Reads a Twilio duration (a string of whole seconds, such as `"15"`) as a number.
///
/// `None` for a missing value and for `"-1"`, which Twilio sends while a recording is in progress.
///
/// ```
/// use storyline_core::client::parse_duration_secs;
/// assert_eq!(parse_duration_secs("15"), Some(15));
/// assert_eq!(parse_duration_secs("-1"), None);
/// ```
pub fn parse_duration_secs(duration: &str) -> Option<u64> {
    duration.trim().parse().ok()
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version does not know, kept as Twilio spelled it.
            Other(String),
        }

        impl $name {
            /// The value as Twilio spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(d)?.as_str()))
            }
        }
    };
}

wire_enum!(
    /// Who started a call.
    CallDirection {
        /// Someone called a Twilio number.
        Inbound = "inbound",
        /// Placed through the REST API (what this client creates).
        OutboundApi = "outbound-api",
        /// Placed by `<Dial>`.
        OutboundDial = "outbound-dial",
        /// An Elastic SIP Trunking call to the PSTN.
        TrunkingTerminating = "trunking-terminating",
        /// An Elastic SIP Trunking call from the PSTN.
        TrunkingOriginating = "trunking-originating",
    }
);

wire_enum!(
    /// What made a recording.
    RecordingSource {
        /// `<Dial record>`.
        DialVerb = "DialVerb",
        /// A conference recording.
        Conference = "Conference",
        /// `Record=true` on the create-call request.
        OutboundApi = "OutboundAPI",
        /// An Elastic SIP trunk.
        Trunking = "Trunking",
        /// The `<Record>` verb (what this product uses).
        RecordVerb = "RecordVerb",
        /// The call recordings API.
        StartCallRecordingApi = "StartCallRecordingAPI",
        /// The conference recordings API.
        StartConferenceRecordingApi = "StartConferenceRecordingAPI",
    }
);

/// A call resource (`…/Calls/{CallSid}.json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Call {
    /// The call's SID (`CA…`).
    pub sid: Option<CallSid>,
    /// The account that owns the call.
    pub account_sid: Option<AccountSid>,
    /// The call that created this one, for `<Dial>` legs.
    pub parent_call_sid: Option<CallSid>,
    /// The number called.
    pub to: Option<String>,
    /// The number called, formatted for display.
    pub to_formatted: Option<String>,
    /// The caller id.
    pub from: Option<String>,
    /// The caller id, formatted for display.
    pub from_formatted: Option<String>,
    /// The status when Twilio answered (`queued` right after creation).
    pub status: Option<CallStatus>,
    /// Who started the call (`outbound-api` for calls created here).
    pub direction: Option<CallDirection>,
    /// Result of answering-machine detection: `human`, `machine_start`, `fax`, `unknown`, ….
    pub answered_by: Option<String>,
    /// The API version, `2010-04-01`.
    pub api_version: Option<String>,
    /// When the resource was created (RFC 2822).
    pub date_created: Option<String>,
    /// When the resource last changed (RFC 2822).
    pub date_updated: Option<String>,
    /// When the call was answered, or when it was placed (RFC 2822).
    pub start_time: Option<String>,
    /// When the call ended (RFC 2822).
    pub end_time: Option<String>,
    /// Seconds of talk, as a string; see [`Call::duration_secs`].
    pub duration: Option<String>,
    /// What the call cost (negative, as a decimal string), once known.
    pub price: Option<String>,
    /// The currency of `price` (ISO 4217).
    pub price_unit: Option<String>,
    /// The number that forwarded an inbound call.
    pub forwarded_from: Option<String>,
    /// The caller's name, when caller-name lookup is on.
    pub caller_name: Option<String>,
    /// Milliseconds the call waited in the queue, as a string.
    pub queue_time: Option<String>,
    /// The SID of the Twilio number used.
    pub phone_number_sid: Option<String>,
    /// The SID of the call's group.
    pub group_sid: Option<String>,
    /// The SIP trunk used.
    pub trunk_sid: Option<String>,
    /// This resource's path, relative to `https://api.twilio.com`.
    pub uri: Option<String>,
    /// Paths of related resources (`recordings`, `notifications`, …).
    pub subresource_uris: Option<BTreeMap<String, String>>,
}

impl Call {
    /// The call's duration in seconds, if Twilio gave one.
    pub fn duration_secs(&self) -> Option<u64> {
        self.duration.as_deref().and_then(parse_duration_secs)
    }
}

/// A recording resource (`…/Recordings/{RecordingSid}.json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recording {
    /// The recording's SID (`RE…`).
    pub sid: Option<RecordingSid>,
    /// The account that owns the recording.
    pub account_sid: Option<AccountSid>,
    /// The call that was recorded.
    pub call_sid: Option<CallSid>,
    /// The conference that was recorded, if any.
    pub conference_sid: Option<String>,
    /// Where the recording is in its life.
    pub status: Option<RecordingStatus>,
    /// What made it.
    pub source: Option<RecordingSource>,
    /// Seconds of audio, as a string (`"-1"` while recording); see [`Recording::duration_secs`].
    pub duration: Option<String>,
    /// Audio channels (1 for `<Record>`).
    pub channels: Option<u32>,
    /// When the resource was created (RFC 2822).
    pub date_created: Option<String>,
    /// When the resource last changed (RFC 2822).
    pub date_updated: Option<String>,
    /// When recording started (RFC 2822).
    pub start_time: Option<String>,
    /// What it cost, as a decimal string.
    #[serde(default, deserialize_with = "string_or_number")]
    pub price: Option<String>,
    /// The currency of `price`.
    pub price_unit: Option<String>,
    /// Twilio's error code when the recording failed.
    pub error_code: Option<u32>,
    /// The API version, `2010-04-01`.
    pub api_version: Option<String>,
    /// The media's URL, without an extension (WAV unless `.mp3` is appended).
    pub media_url: Option<String>,
    /// This resource's path, relative to `https://api.twilio.com`.
    pub uri: Option<String>,
    /// Paths of related resources (`transcriptions`, …).
    pub subresource_uris: Option<BTreeMap<String, String>>,
}

impl Recording {
    /// The recording's duration in seconds, once it is known.
    pub fn duration_secs(&self) -> Option<u64> {
        self.duration.as_deref().and_then(parse_duration_secs)
    }
}

/// One page of a calls list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallPage {
    /// The calls on this page, newest first.
    #[serde(default)]
    pub calls: Vec<Call>,
    /// The page number, from 0.
    pub page: Option<u32>,
    /// How many items a page holds.
    pub page_size: Option<u32>,
    /// The path of the next page, or `None` on the last page.
    pub next_page_uri: Option<String>,
}

/// One page of a recordings list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordingPage {
    /// The recordings on this page, newest first.
    #[serde(default)]
    pub recordings: Vec<Recording>,
    /// The page number, from 0.
    pub page: Option<u32>,
    /// How many items a page holds.
    pub page_size: Option<u32>,
    /// The path of the next page, or `None` on the last page.
    pub next_page_uri: Option<String>,
}

// The call-scoped recordings list sends `price` as a number, the account-wide one as a string.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Price {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(Option::<Price>::deserialize(d)?.map(|p| match p {
        Price::Text(s) => s,
        Price::Number(n) => n.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_status_spellings_match_twilio() {
        let cases = [
            (CallStatus::Queued, "queued"),
            (CallStatus::Initiated, "initiated"),
            (CallStatus::Ringing, "ringing"),
            (CallStatus::InProgress, "in-progress"),
            (CallStatus::Completed, "completed"),
            (CallStatus::Busy, "busy"),
            (CallStatus::Failed, "failed"),
            (CallStatus::NoAnswer, "no-answer"),
            (CallStatus::Canceled, "canceled"),
        ];
        for (status, wire) in cases {
            assert_eq!(status.as_str(), wire);
            assert_eq!(CallStatus::from(wire), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{wire}\""));
            assert_eq!(serde_json::from_str::<CallStatus>(&json).unwrap(), status);
        }
        assert_eq!(CallStatus::from("inprogress"), CallStatus::Other("inprogress".into()));
    }

    #[test]
    fn recording_status_spellings_match_twilio() {
        let cases = [
            (RecordingStatus::InProgress, "in-progress"),
            (RecordingStatus::Paused, "paused"),
            (RecordingStatus::Stopped, "stopped"),
            (RecordingStatus::Processing, "processing"),
            (RecordingStatus::Completed, "completed"),
            (RecordingStatus::Absent, "absent"),
            (RecordingStatus::Deleted, "deleted"),
            (RecordingStatus::Failed, "failed"),
        ];
        for (status, wire) in cases {
            assert_eq!(status.as_str(), wire);
            assert_eq!(RecordingStatus::from(wire), status);
        }
        assert_eq!(RecordingStatus::from("archived").to_string(), "archived");
    }

    #[test]
    fn direction_and_source_spellings_match_twilio() {
        for wire in [
            "inbound",
            "outbound-api",
            "outbound-dial",
            "trunking-terminating",
            "trunking-originating",
        ] {
            let d = CallDirection::from(wire);
            assert!(!matches!(d, CallDirection::Other(_)), "{wire}");
            assert_eq!(d.as_str(), wire);
        }
        for wire in [
            "DialVerb",
            "Conference",
            "OutboundAPI",
            "Trunking",
            "RecordVerb",
            "StartCallRecordingAPI",
            "StartConferenceRecordingAPI",
        ] {
            let s = RecordingSource::from(wire);
            assert!(!matches!(s, RecordingSource::Other(_)), "{wire}");
            assert_eq!(s.as_str(), wire);
        }
    }

    #[test]
    fn terminal_statuses() {
        assert!(CallStatus::NoAnswer.is_terminal());
        assert!(!CallStatus::InProgress.is_terminal());
        assert!(!CallStatus::Other("x".into()).is_terminal());
    }

    #[test]
    fn duration_is_a_string_of_seconds() {
        let call: Call = serde_json::from_str(r#"{"duration": "15", "status": null}"#).unwrap();
        assert_eq!(call.duration_secs(), Some(15));
        assert_eq!(call.status, None);
        let rec: Recording = serde_json::from_str(r#"{"duration": "-1"}"#).unwrap();
        assert_eq!(rec.duration_secs(), None);
        assert!(serde_json::from_str::<Call>(r#"{"duration": 15}"#).is_err());
    }

    #[test]
    fn recording_price_may_be_a_number_or_a_string() {
        let a: Recording = serde_json::from_str(r#"{"price": -0.0025}"#).unwrap();
        assert_eq!(a.price.as_deref(), Some("-0.0025"));
        let b: Recording = serde_json::from_str(r#"{"price": "-0.00250"}"#).unwrap();
        assert_eq!(b.price.as_deref(), Some("-0.00250"));
        let c: Recording = serde_json::from_str(r#"{"price": null}"#).unwrap();
        assert_eq!(c.price, None);
    }

    #[test]
    fn unknown_fields_and_nulls_are_accepted() {
        let call: Call = serde_json::from_str(r#"{"sid": null, "brand_new_field": {"x": 1}}"#).unwrap();
        assert_eq!(call, Call::default());
    }
}
