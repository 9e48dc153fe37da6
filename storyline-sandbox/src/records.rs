//! What the sandbox keeps of each call and recording, and how Twilio's REST API shows them.

use rocket::serde::json::{Value, json};
use storyline_core::{AccountSid, CallSid, PhoneNumber, RecordingSid};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::error::ApiError;

/// The number the sandbox's calls come from (the only `From` it accepts, like a Twilio account with one number).
pub const FROM_NUMBER: &str = "+12015550199";

/// The longest a call may last, in seconds from its answer: the four hours an account has unless Twilio has extended
/// its limit. A longer `TimeLimit` is held to it.
pub(crate) const MAX_TIME_LIMIT: u32 = 14_400;

/// 16 bytes from the operating system's random source: the body of a new SID or token.
pub(crate) fn random_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("system random source");
    b
}

/// A call's status, as Twilio's REST API and callbacks spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// Waiting to be placed.
    Queued,
    /// Being placed.
    Initiated,
    /// The phone is ringing.
    Ringing,
    /// Answered.
    InProgress,
    /// Ended after being answered.
    Completed,
    /// The line was busy.
    Busy,
    /// Could not be connected.
    Failed,
    /// Nobody answered.
    NoAnswer,
    /// Canceled before it was answered.
    Canceled,
}

impl CallStatus {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Initiated => "initiated",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::NoAnswer => "no-answer",
            Self::Canceled => "canceled",
        }
    }

    /// The status Twilio spells `s`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Initiated,
            Self::Ringing,
            Self::InProgress,
            Self::Completed,
            Self::Busy,
            Self::Failed,
            Self::NoAnswer,
            Self::Canceled,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// Whether the call has ended: nothing changes it after this.
    pub(crate) fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled
        )
    }

    pub(crate) fn sip_code(self) -> u16 {
        match self {
            Self::Busy => 486,
            Self::NoAnswer | Self::Canceled => 487,
            Self::Failed => 404,
            _ => 200,
        }
    }
}

/// A call the sandbox placed.
pub(crate) struct CallRecord {
    pub sid: CallSid,
    pub to: String,
    pub from: String,
    pub status: CallStatus,
    pub url: String,
    pub method: String,
    pub fallback_url: Option<String>,
    pub fallback_method: String,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    pub events: Vec<String>,
    pub timeout: u32,
    /// Seconds of call time the call may last from its answer (`TimeLimit`); then it ends.
    pub time_limit: u32,
    pub machine_detection: Option<String>,
    pub created_at: OffsetDateTime,
    /// When dialling began (`initiated`): Twilio's `start_time`, empty while the call is queued.
    pub start_time: Option<OffsetDateTime>,
    /// When the call was answered: its `duration` counts from here.
    pub answered_at: Option<OffsetDateTime>,
    pub end_time: Option<OffsetDateTime>,
    pub answered_by: Option<String>,
    pub sequence: u32,
    /// A TwiML request of this call failed (timed out, errored, or did not parse).
    pub twiml_failed: bool,
    /// Told when the call is canceled before it is answered.
    pub cancel: std::sync::Arc<tokio::sync::Notify>,
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub(crate) fn rfc2822(t: OffsetDateTime) -> String {
    t.format(&Rfc2822).unwrap_or_default()
}

fn valid_url(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

impl CallRecord {
    /// Validates a `Calls.json` request as Twilio does and builds the queued call.
    pub(crate) fn from_request(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let to = field(pairs, "To").ok_or_else(|| ApiError::bad(21201, "No 'To' number is specified"))?;
        let to = to
            .parse::<PhoneNumber>()
            .map_err(|_| ApiError::bad(21211, format!("Invalid 'To' Phone Number: {to}")))?;
        let from = field(pairs, "From").ok_or_else(|| ApiError::bad(21603, "A 'From' phone number is required."))?;
        if from != FROM_NUMBER {
            return Err(ApiError::bad(
                21210,
                format!("The source phone number provided, {from}, is not yet verified for your account."),
            ));
        }
        let url = field(pairs, "Url").ok_or_else(|| ApiError::bad(21205, "Url parameter is required."))?;
        if !valid_url(url) {
            return Err(ApiError::bad(21205, format!("Url is not a valid URL: {url}")));
        }
        for name in ["StatusCallback", "FallbackUrl"] {
            if let Some(u) = field(pairs, name).filter(|u| !valid_url(u)) {
                return Err(ApiError::bad(21205, format!("{name} is not a valid URL: {u}")));
            }
        }
        let method = |name: &str| -> Result<String, ApiError> {
            match field(pairs, name).map(str::to_ascii_uppercase).as_deref() {
                None => Ok("POST".into()),
                Some(m @ ("GET" | "POST")) => Ok(m.into()),
                Some(other) => Err(ApiError::bad(21209, format!("Invalid {name}: {other}"))),
            }
        };
        let timeout = match field(pairs, "Timeout") {
            None => 60,
            Some(t) => t
                .parse::<u32>()
                .map_err(|_| ApiError::bad(21216, format!("Invalid Timeout: {t}")))?
                .clamp(1, 600),
        };
        // Twilio refuses a limit that is not a positive whole number of seconds with 13216.
        let time_limit = match field(pairs, "TimeLimit") {
            None => MAX_TIME_LIMIT,
            Some(t) => t
                .parse::<u32>()
                .ok()
                .filter(|&secs| secs > 0)
                .ok_or_else(|| ApiError::bad(13216, format!("Invalid TimeLimit value ({t})")))?
                .min(MAX_TIME_LIMIT),
        };
        let machine_detection = match field(pairs, "MachineDetection") {
            None => None,
            Some(m @ ("Enable" | "DetectMessageEnd")) => Some(m.to_owned()),
            Some(other) => return Err(ApiError::bad(21626, format!("Invalid MachineDetection: {other}"))),
        };
        let mut events: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "StatusCallbackEvent")
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned))
            .collect();
        if events.is_empty() {
            events.push("completed".into());
        }
        Ok(Self {
            sid: CallSid::from_bytes(random_bytes()),
            to: to.e164().to_owned(),
            from: from.to_owned(),
            status: CallStatus::Queued,
            url: url.to_owned(),
            method: method("Method")?,
            fallback_url: field(pairs, "FallbackUrl").map(str::to_owned),
            fallback_method: method("FallbackMethod")?,
            status_callback: field(pairs, "StatusCallback").map(str::to_owned),
            status_callback_method: method("StatusCallbackMethod")?,
            events,
            timeout,
            time_limit,
            machine_detection,
            created_at: OffsetDateTime::now_utc(),
            start_time: None,
            answered_at: None,
            end_time: None,
            answered_by: None,
            sequence: 0,
            twiml_failed: false,
            cancel: Default::default(),
        })
    }

    /// Whole seconds of call time from the answer to the end, once the call has ended: a sandbox running `speed` times
    /// faster reports the duration the call had, as its recordings keep their real length.
    pub(crate) fn duration_secs(&self, speed: f64) -> Option<i64> {
        let end = self.end_time?;
        Some(
            self.answered_at
                .map_or(0, |a| ((end - a).as_seconds_f64() * speed) as i64),
        )
    }

    /// The Call resource as Twilio's REST API returns it, from a sandbox running at `speed`.
    pub(crate) fn to_json(&self, account: &AccountSid, speed: f64) -> Value {
        let duration = self.duration_secs(speed).map(|d| d.to_string());
        let uri = format!("/2010-04-01/Accounts/{account}/Calls/{}.json", self.sid);
        json!({
            "sid": self.sid,
            "account_sid": account,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from,
            "from_formatted": self.from,
            "status": self.status.as_str(),
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(OffsetDateTime::now_utc()),
            "start_time": self.start_time.map(rfc2822),
            "end_time": self.end_time.map(rfc2822),
            "duration": duration,
            "answered_by": self.answered_by,
            "price": null,
            "price_unit": "USD",
            "parent_call_sid": null,
            "phone_number_sid": null,
            "caller_name": null,
            "forwarded_from": null,
            "group_sid": null,
            "queue_time": "0",
            "trunk_sid": null,
            "annotation": null,
            "uri": uri,
            "subresource_uris": {
                "recordings": format!("/2010-04-01/Accounts/{account}/Calls/{}/Recordings.json", self.sid),
            },
        })
    }
}

/// A recording made by `<Record>`.
pub(crate) struct RecordingRecord {
    pub sid: RecordingSid,
    pub call_sid: CallSid,
    pub created_at: OffsetDateTime,
    /// `in-progress`, `processing`, `completed`, `absent` or `failed`.
    pub status: &'static str,
    /// Which sample story the storyteller told (for the MP3 copy); `None` for the sandbox phone's own audio.
    pub sample: Option<usize>,
    pub pcm: Vec<i16>,
    pub duration_ms: u64,
    pub deleted: bool,
    /// When the media starts answering (a fault can keep it 404 for a while after the callback).
    pub ready_at: Option<std::time::Instant>,
}

impl RecordingRecord {
    /// Whether the media can be fetched: only once Twilio has said `completed`.
    pub(crate) fn media_ready(&self) -> bool {
        self.status == "completed" && self.ready_at.is_none_or(|t| std::time::Instant::now() >= t)
    }

    /// Duration in whole seconds, as Twilio rounds it.
    pub(crate) fn duration_secs(&self) -> u64 {
        (self.duration_ms + 500) / 1000
    }

    /// The Recording resource as Twilio's REST API returns it.
    pub(crate) fn to_json(&self, account: &AccountSid, base: &str) -> Value {
        let uri = format!("/2010-04-01/Accounts/{account}/Recordings/{}.json", self.sid);
        json!({
            "sid": self.sid,
            "account_sid": account,
            "call_sid": self.call_sid,
            "conference_sid": null,
            "api_version": "2010-04-01",
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(self.created_at),
            "start_time": rfc2822(self.created_at),
            "status": if self.deleted { "deleted" } else { self.status },
            "duration": if self.status == "completed" { Some(self.duration_secs().to_string()) } else { None },
            "channels": 1,
            "source": "RecordVerb",
            "error_code": (self.status == "failed").then_some(crate::runner::RECORDING_FAILED),
            "price": null,
            "price_unit": "USD",
            "track": "both",
            "encryption_details": null,
            "media_url": format!("{base}/2010-04-01/Accounts/{account}/Recordings/{}", self.sid),
            "uri": uri,
            "subresource_uris": {},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_statuses_are_spelled_as_twilio_spells_them() {
        let wire = [
            "queued",
            "initiated",
            "ringing",
            "in-progress",
            "completed",
            "busy",
            "failed",
            "no-answer",
            "canceled",
        ];
        for spelling in wire {
            assert_eq!(CallStatus::parse(spelling).map(CallStatus::as_str), Some(spelling));
        }
        assert_eq!(CallStatus::parse("inprogress"), None);
    }
}
