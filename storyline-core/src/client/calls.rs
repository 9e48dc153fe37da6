//! Creating and fetching calls.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::Method;

use super::retry::RequestKind;
use super::{Call, CallPage, CallStatus, Client, Error};
use crate::CallSid;

/// The HTTP method Twilio uses to request a URL of ours (default POST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackMethod {
    /// `GET`: parameters in the query string.
    Get,
    /// `POST`: parameters in a form body.
    Post,
}

/// A call progress event for `StatusCallbackEvent`.
///
/// Without any, Twilio sends only `completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallEvent {
    /// Twilio started dialling.
    Initiated,
    /// The phone is ringing.
    Ringing,
    /// Answered (the callback reports it as `in-progress`).
    Answered,
    /// The call ended, however it ended.
    Completed,
}

/// Answering-machine detection for `MachineDetection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MachineDetection {
    /// Tell a human from a machine as soon as possible.
    Enable,
    /// Also wait for the end of the machine's greeting (the beep or silence).
    DetectMessageEnd,
}

/// A recording status event for `RecordingStatusCallbackEvent` (default `completed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingEvent {
    /// Recording started.
    InProgress,
    /// The file is ready.
    Completed,
    /// Nothing was recorded.
    Absent,
}

/// `RecordingChannels` for `Record=true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingChannels {
    /// Both parties mixed into one channel.
    Mono,
    /// Each party on its own channel.
    Dual,
}

/// `Trim` for `Record=true`: whether leading and trailing silence is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trim {
    /// Cut silence at both ends.
    TrimSilence,
    /// Keep the audio as recorded.
    DoNotTrim,
}

macro_rules! wire_str {
    ($($name:ident { $($variant:ident => $wire:literal),+ })+) => {$(
        impl $name {
            /// The value as Twilio spells it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

wire_str! {
    CallbackMethod { Get => "GET", Post => "POST" }
    CallEvent { Initiated => "initiated", Ringing => "ringing", Answered => "answered", Completed => "completed" }
    MachineDetection { Enable => "Enable", DetectMessageEnd => "DetectMessageEnd" }
    RecordingEvent { InProgress => "in-progress", Completed => "completed", Absent => "absent" }
    RecordingChannels { Mono => "mono", Dual => "dual" }
    Trim { TrimSilence => "trim-silence", DoNotTrim => "do-not-trim" }
}

/// `POST …/Calls.json`: place an outbound call. Build it with [`Client::create_call`].
///
/// Exactly one of [`url`](CreateCall::url) and [`twiml`](CreateCall::twiml) must be set.
/// Unset fields are left out of the request, so Twilio's defaults apply.
///
/// Retried only after a 429 or a connection that was never made: see the
/// [module docs](super#retries).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateCall {
    client: Client,
    to: String,
    from: String,
    url: Option<String>,
    method: Option<CallbackMethod>,
    twiml: Option<String>,
    fallback_url: Option<String>,
    fallback_method: Option<CallbackMethod>,
    status_callback: Option<String>,
    status_callback_events: Vec<CallEvent>,
    status_callback_method: Option<CallbackMethod>,
    timeout: Option<Duration>,
    time_limit: Option<Duration>,
    send_digits: Option<String>,
    machine_detection: Option<MachineDetection>,
    machine_detection_timeout: Option<Duration>,
    async_amd: Option<bool>,
    async_amd_status_callback: Option<String>,
    async_amd_status_callback_method: Option<CallbackMethod>,
    record: Option<bool>,
    recording_channels: Option<RecordingChannels>,
    recording_status_callback: Option<String>,
    recording_status_callback_events: Vec<RecordingEvent>,
    recording_status_callback_method: Option<CallbackMethod>,
    trim: Option<Trim>,
}

impl Client {
    /// Starts a request to call `to` from `from`.
    ///
    /// Both are written as they display: pass a [`PhoneNumber`](crate::PhoneNumber) (E.164) or a
    /// string such as `"+15558675310"`; `from` must be a Twilio number or verified caller id.
    pub fn create_call(&self, to: impl fmt::Display, from: impl fmt::Display) -> CreateCall {
        CreateCall {
            client: self.clone(),
            to: to.to_string(),
            from: from.to_string(),
            url: None,
            method: None,
            twiml: None,
            fallback_url: None,
            fallback_method: None,
            status_callback: None,
            status_callback_events: Vec::new(),
            status_callback_method: None,
            timeout: None,
            time_limit: None,
            send_digits: None,
            machine_detection: None,
            machine_detection_timeout: None,
            async_amd: None,
            async_amd_status_callback: None,
            async_amd_status_callback_method: None,
            record: None,
            recording_channels: None,
            recording_status_callback: None,
            recording_status_callback_events: Vec::new(),
            recording_status_callback_method: None,
            trim: None,
        }
    }

    /// `GET …/Calls/{CallSid}.json`.
    pub fn fetch_call(&self, sid: &CallSid) -> FetchCall {
        FetchCall {
            client: self.clone(),
            sid: sid.clone(),
        }
    }

    /// `GET …/Calls.json`: the first page of the account's calls, newest first, narrowed by the filters set on it.
    /// The way to learn whether a call was placed when the answer to [`create_call`](Client::create_call) was lost.
    pub fn list_calls(&self) -> ListCalls {
        ListCalls {
            client: self.clone(),
            filters: Vec::new(),
        }
    }
}

/// `GET …/Calls.json`. Build it with [`Client::list_calls`]; unset filters are left out.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCalls {
    client: Client,
    filters: Vec<(&'static str, String)>,
}

impl ListCalls {
    fn filter(mut self, name: &'static str, value: String) -> Self {
        self.filters.retain(|(n, _)| *n != name);
        self.filters.push((name, value));
        self
    }

    /// `To`: calls to this number (E.164).
    pub fn to(self, number: impl fmt::Display) -> Self {
        self.filter("To", number.to_string())
    }

    /// `From`: calls from this number (E.164).
    pub fn from(self, number: impl fmt::Display) -> Self {
        self.filter("From", number.to_string())
    }

    /// `Status`: calls in this status.
    pub fn status(self, status: CallStatus) -> Self {
        self.filter("Status", status.as_str().to_owned())
    }

    /// `StartTime>`: calls that started on or after this UTC date (`YYYY-MM-DD`) or moment (RFC 3339). A call
    /// still queued has not started: filter on `To` alone to see it.
    pub fn started_after(self, date: impl fmt::Display) -> Self {
        self.filter("StartTime>", date.to_string())
    }

    /// `PageSize`: how many calls the page holds (Twilio: default 50, 1 to 1000).
    pub fn page_size(self, size: u32) -> Self {
        self.filter("PageSize", size.to_string())
    }

    /// The HTTP request [`send`](ListCalls::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        let query = serde_urlencoded::to_string(&self.filters).map_err(|e| Error::InvalidRequest {
            reason: format!("cannot encode the query: {e}"),
        })?;
        let path = if query.is_empty() {
            "Calls.json".to_owned()
        } else {
            format!("Calls.json?{query}")
        };
        self.client
            .api_request(Method::GET, &self.client.account_url(&path), None)
    }

    /// Fetches the first page.
    pub async fn send(self) -> Result<CallPage, Error> {
        let request = self.build_request()?;
        self.client.send_json(request, RequestKind::Idempotent).await
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)+) => {$(
        $(#[$doc])*
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Some(value.into());
            self
        }
    )+};
}

impl CreateCall {
    setters! {
        /// `Url`: the absolute URL of the TwiML that runs when the call is answered.
        url: String,
        /// `Method`: how `Url` is requested.
        method: CallbackMethod,
        /// `Twiml`: the TwiML document itself, instead of `Url`.
        twiml: String,
        /// `FallbackUrl`: requested when `Url` fails.
        fallback_url: String,
        /// `FallbackMethod`: how `FallbackUrl` is requested.
        fallback_method: CallbackMethod,
        /// `StatusCallback`: where call progress events are sent.
        status_callback: String,
        /// `StatusCallbackMethod`: how `StatusCallback` is requested.
        status_callback_method: CallbackMethod,
        /// `SendDigits`: DTMF digits to play once the call connects (`w` waits half a second).
        send_digits: String,
        /// `MachineDetection`: answering-machine detection.
        machine_detection: MachineDetection,
        /// `AsyncAmd`: run machine detection in the background and report to
        /// `AsyncAmdStatusCallback` instead of delaying the TwiML.
        async_amd: bool,
        /// `AsyncAmdStatusCallback`: where the asynchronous detection result is sent.
        async_amd_status_callback: String,
        /// `AsyncAmdStatusCallbackMethod`: how `AsyncAmdStatusCallback` is requested.
        async_amd_status_callback_method: CallbackMethod,
        /// `Record`: record the whole call.
        record: bool,
        /// `RecordingChannels`: mono or dual, with `Record`.
        recording_channels: RecordingChannels,
        /// `RecordingStatusCallback`: where recording status events are sent, with `Record`.
        recording_status_callback: String,
        /// `RecordingStatusCallbackMethod`: how `RecordingStatusCallback` is requested.
        recording_status_callback_method: CallbackMethod,
        /// `Trim`: cut silence at both ends of the recording, with `Record`.
        trim: Trim,
    }

    /// `Timeout`: how long to let the phone ring, in whole seconds (Twilio: default 60, max 600).
    pub fn timeout(mut self, ring: Duration) -> Self {
        self.timeout = Some(ring);
        self
    }

    /// `TimeLimit`: the longest the call may last, in whole seconds.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// `MachineDetectionTimeout`: how long detection may take, in whole seconds.
    pub fn machine_detection_timeout(mut self, limit: Duration) -> Self {
        self.machine_detection_timeout = Some(limit);
        self
    }

    /// `StatusCallbackEvent`: the progress events to report; replaces any set before.
    pub fn status_callback_events(mut self, events: impl IntoIterator<Item = CallEvent>) -> Self {
        self.status_callback_events = events.into_iter().collect();
        self
    }

    /// `RecordingStatusCallbackEvent`: the recording events to report; replaces any set before.
    pub fn recording_status_callback_events(mut self, events: impl IntoIterator<Item = RecordingEvent>) -> Self {
        self.recording_status_callback_events = events.into_iter().collect();
        self
    }

    /// The form fields in the order they are sent; lists are repeated keys.
    pub fn form_pairs(&self) -> Vec<(&'static str, String)> {
        fn secs(d: Duration) -> String {
            d.as_secs().to_string()
        }
        let method = |m: Option<CallbackMethod>| m.map(|m| m.as_str().to_owned());
        let mut pairs = vec![("To", self.to.clone()), ("From", self.from.clone())];
        let mut push = |key: &'static str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((key, value));
            }
        };
        push("Url", self.url.clone());
        push("Method", method(self.method));
        push("Twiml", self.twiml.clone());
        push("FallbackUrl", self.fallback_url.clone());
        push("FallbackMethod", method(self.fallback_method));
        push("StatusCallback", self.status_callback.clone());
        for event in &self.status_callback_events {
            push("StatusCallbackEvent", Some(event.as_str().to_owned()));
        }
        push("StatusCallbackMethod", method(self.status_callback_method));
        push("Timeout", self.timeout.map(secs));
        push("TimeLimit", self.time_limit.map(secs));
        push("SendDigits", self.send_digits.clone());
        push(
            "MachineDetection",
            self.machine_detection.map(|m| m.as_str().to_owned()),
        );
        push("MachineDetectionTimeout", self.machine_detection_timeout.map(secs));
        push("AsyncAmd", self.async_amd.map(|b| b.to_string()));
        push("AsyncAmdStatusCallback", self.async_amd_status_callback.clone());
        push(
            "AsyncAmdStatusCallbackMethod",
            method(self.async_amd_status_callback_method),
        );
        push("Record", self.record.map(|b| b.to_string()));
        push(
            "RecordingChannels",
            self.recording_channels.map(|c| c.as_str().to_owned()),
        );
        push("RecordingStatusCallback", self.recording_status_callback.clone());
        for event in &self.recording_status_callback_events {
            push("RecordingStatusCallbackEvent", Some(event.as_str().to_owned()));
        }
        push(
            "RecordingStatusCallbackMethod",
            method(self.recording_status_callback_method),
        );
        push("Trim", self.trim.map(|t| t.as_str().to_owned()));
        pairs
    }

    /// The HTTP request [`send`](CreateCall::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        if self.url.is_some() == self.twiml.is_some() {
            return Err(Error::InvalidRequest {
                reason: "a call needs exactly one of url and twiml".to_owned(),
            });
        }
        let body = serde_urlencoded::to_string(self.form_pairs()).map_err(|e| Error::InvalidRequest {
            reason: format!("cannot encode the form: {e}"),
        })?;
        self.client
            .api_request(Method::POST, &self.client.account_url("Calls.json"), Some(body))
    }

    /// Places the call; Twilio answers `201` with the call, usually `queued`.
    ///
    /// After [`Error::Timeout`], an [`Error::Transport`] of kind
    /// [`Io`](super::TransportErrorKind::Io) or a 5xx the call may or may not have been placed:
    /// it was not retried, so look before placing it again.
    pub async fn send(self) -> Result<Call, Error> {
        let request = self.build_request()?;
        self.client.send_json(request, RequestKind::CreatesCall).await
    }
}

/// `GET …/Calls/{CallSid}.json`. Build it with [`Client::fetch_call`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct FetchCall {
    client: Client,
    sid: CallSid,
}

impl FetchCall {
    /// The HTTP request [`send`](FetchCall::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        let url = self.client.account_url(&format!("Calls/{}.json", self.sid));
        self.client.api_request(Method::GET, &url, None)
    }

    /// Fetches the call.
    pub async fn send(self) -> Result<Call, Error> {
        let request = self.build_request()?;
        self.client.send_json(request, RequestKind::Idempotent).await
    }
}
