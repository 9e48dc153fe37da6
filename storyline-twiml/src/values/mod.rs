//! Attribute values: the typed spellings Twilio uses in TwiML.

mod enums;
mod events;
mod open;
mod url;

pub use enums::{Input, Method, SpeechTimeout, Trim};
pub use events::{RecordingEvent, RecordingEvents};
pub use open::{Language, SpeechModel, Voice};
pub use url::UrlRef;

/// A string that is not one of the spellings a TwiML value accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: expected {expected}")]
pub struct InvalidValue {
    what: &'static str,
    value: String,
    expected: &'static str,
}

impl InvalidValue {
    fn new(what: &'static str, value: &str, expected: &'static str) -> Self {
        Self {
            what,
            value: value.to_owned(),
            expected,
        }
    }

    /// The string that was refused.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What a valid value looks like.
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}
