use std::fmt;

use crate::{
    Method, RecordingEvent, RecordingEvents, Trim, UrlRef,
    element::{Render, display, element, write_text_element},
};

/// `<Record>`: records the caller, then requests `action` with the recording's details.
///
/// Without `action` Twilio requests the current document again, so the caller hears the same TwiML
/// in a loop: set it. Verbs after `<Record>` only run if Twilio skips the action.
///
/// ```
/// use storyline_twiml::{Record, RecordingEvent, Trim};
///
/// let record = Record::new()
///     .action("/recording/42/done")
///     .max_length(600)
///     .finish_on_key("#")
///     .trim(Trim::DoNotTrim)
///     .recording_status_callback("/recording/42/status")
///     .recording_status_callback_event([RecordingEvent::Completed, RecordingEvent::Absent]);
/// assert_eq!(
///     record.to_string(),
///     r##"<Record action="/recording/42/done" finishOnKey="#" maxLength="600" trim="do-not-trim" recordingStatusCallback="/recording/42/status" recordingStatusCallbackEvent="completed absent"/>"##
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Record {
    /// `action`: requested when the recording ends. Default: the current document.
    pub action: Option<UrlRef>,
    /// `method`: how `action` is requested. Default `POST`.
    pub method: Option<Method>,
    /// `timeout`: seconds of silence that end the recording; `0` never ends it. Default 5.
    pub timeout: Option<u32>,
    /// `finishOnKey`: keys that end the recording. Default `1234567890*#`.
    pub finish_on_key: Option<String>,
    /// `maxLength`: longest recording in seconds (at most 14400). Default 3600.
    pub max_length: Option<u32>,
    /// `playBeep`: whether a beep marks the start. Default `true`.
    pub play_beep: Option<bool>,
    /// `trim`: whether leading and trailing silence is cut. Default `trim-silence`.
    pub trim: Option<Trim>,
    /// `recordingStatusCallback`: told when the recording file changes state.
    pub recording_status_callback: Option<UrlRef>,
    /// `recordingStatusCallbackMethod`: how that callback is requested. Default `POST`.
    pub recording_status_callback_method: Option<Method>,
    /// `recordingStatusCallbackEvent`: which states are reported. Default `completed`.
    pub recording_status_callback_event: Option<RecordingEvents>,
    /// `transcribe`: whether Twilio transcribes the recording (English, 2–120 s). Default `false`.
    pub transcribe: Option<bool>,
    /// `transcribeCallback`: receives the transcription; setting it implies `transcribe`.
    pub transcribe_callback: Option<UrlRef>,
}

impl Record {
    /// A recording with every attribute at Twilio's default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `action`.
    #[must_use]
    pub fn action(mut self, url: impl Into<UrlRef>) -> Self {
        self.action = Some(url.into());
        self
    }

    /// Sets `method`.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Sets `timeout`, in seconds.
    #[must_use]
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Sets `finishOnKey`.
    #[must_use]
    pub fn finish_on_key(mut self, keys: impl Into<String>) -> Self {
        self.finish_on_key = Some(keys.into());
        self
    }

    /// Sets `maxLength`, in seconds.
    #[must_use]
    pub fn max_length(mut self, seconds: u32) -> Self {
        self.max_length = Some(seconds);
        self
    }

    /// Sets `playBeep`.
    #[must_use]
    pub fn play_beep(mut self, beep: bool) -> Self {
        self.play_beep = Some(beep);
        self
    }

    /// Sets `trim`.
    #[must_use]
    pub fn trim(mut self, trim: Trim) -> Self {
        self.trim = Some(trim);
        self
    }

    /// Sets `recordingStatusCallback`.
    #[must_use]
    pub fn recording_status_callback(mut self, url: impl Into<UrlRef>) -> Self {
        self.recording_status_callback = Some(url.into());
        self
    }

    /// Sets `recordingStatusCallbackMethod`.
    #[must_use]
    pub fn recording_status_callback_method(mut self, method: Method) -> Self {
        self.recording_status_callback_method = Some(method);
        self
    }

    /// Sets `recordingStatusCallbackEvent`.
    #[must_use]
    pub fn recording_status_callback_event(mut self, events: impl IntoIterator<Item = RecordingEvent>) -> Self {
        self.recording_status_callback_event = Some(events.into_iter().collect());
        self
    }

    /// Sets `transcribe`.
    #[must_use]
    pub fn transcribe(mut self, transcribe: bool) -> Self {
        self.transcribe = Some(transcribe);
        self
    }

    /// Sets `transcribeCallback`.
    #[must_use]
    pub fn transcribe_callback(mut self, url: impl Into<UrlRef>) -> Self {
        self.transcribe_callback = Some(url.into());
        self
    }
}

element!(Record = "Record" {
    "action" => action,
    "method" => method,
    "timeout" => timeout,
    "finishOnKey" => finish_on_key,
    "maxLength" => max_length,
    "playBeep" => play_beep,
    "trim" => trim,
    "recordingStatusCallback" => recording_status_callback,
    "recordingStatusCallbackMethod" => recording_status_callback_method,
    "recordingStatusCallbackEvent" => recording_status_callback_event,
    "transcribe" => transcribe,
    "transcribeCallback" => transcribe_callback,
});

impl Render for Record {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, None);
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_attribute_with_twilios_names() {
        let record = Record::new()
            .action("https://example.com/done")
            .method(Method::Get)
            .timeout(0)
            .finish_on_key("*#")
            .max_length(14400)
            .play_beep(false)
            .trim(Trim::TrimSilence)
            .recording_status_callback("/status")
            .recording_status_callback_method(Method::Post)
            .recording_status_callback_event(RecordingEvent::ALL)
            .transcribe(true)
            .transcribe_callback("/text");
        assert_eq!(
            record.to_string(),
            concat!(
                r#"<Record action="https://example.com/done" method="GET" timeout="0" finishOnKey="*#" maxLength="14400""#,
                r#" playBeep="false" trim="trim-silence" recordingStatusCallback="/status""#,
                r#" recordingStatusCallbackMethod="POST" recordingStatusCallbackEvent="in-progress completed absent""#,
                r#" transcribe="true" transcribeCallback="/text"/>"#,
            )
        );
    }

    #[test]
    fn writes_no_attribute_that_is_unset() {
        assert_eq!(Record::new().to_string(), "<Record/>");
    }
}
