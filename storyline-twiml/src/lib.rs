//! TwiML voice documents as typed Rust values: build them, render them, parse them back.
//!
//! ```
//! use storyline_twiml::{Record, RecordingEvent, Response, Say, Verb};
//!
//! let twiml = Response::new()
//!     .say(Say::new("Tell us a story after the beep & press # when done.").voice("Polly.Joanna"))
//!     .record(
//!         Record::new()
//!             .action("/recording/42/done")
//!             .max_length(600)
//!             .finish_on_key("#")
//!             .play_beep(true)
//!             .recording_status_callback("/recording/42/status")
//!             .recording_status_callback_event([RecordingEvent::Completed, RecordingEvent::Absent]),
//!     );
//!
//! let xml = twiml.to_string();
//! assert_eq!(
//!     xml,
//!     concat!(
//!         r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
//!         r#"<Say voice="Polly.Joanna">Tell us a story after the beep &amp; press # when done.</Say>"#,
//!         r##"<Record action="/recording/42/done" finishOnKey="#" maxLength="600" playBeep="true""##,
//!         r#" recordingStatusCallback="/recording/42/status" recordingStatusCallbackEvent="completed absent"/>"#,
//!         r#"</Response>"#,
//!     )
//! );
//!
//! // Parsing gives the same value back.
//! let parsed: Response = xml.parse()?;
//! assert_eq!(parsed, twiml);
//! assert!(matches!(parsed.verbs(), [Verb::Say(_), Verb::Record(_)]));
//! # Ok::<(), storyline_twiml::ParseError>(())
//! ```
//!
//! # What is modelled
//! `<Response>` holding `<Say>`, `<Play>`, `<Pause>`, `<Record>`, `<Gather>` (with nested `<Say>`, `<Play>`,
//! `<Pause>`), `<Redirect>` and `<Hangup>`, each with every attribute Twilio documents for it. Attributes are
//! `Option` fields: `None` is not written, and Twilio applies its default. `<Say>` holds plain text (no SSML).
//!
//! # Rendering
//! [`Response::render`] writes the document on one line, XML declaration first, straight into a `String`;
//! `Display` (and so `to_string()`) gives the same text. Text and attribute values pass through one
//! escaper, so caller-supplied text can never add markup.
//!
//! # Parsing
//! [`Response::parse`] accepts what the official Twilio libraries write (attribute order, `<Hangup />`
//! or `<Hangup/>`, declaration or not, whitespace between elements) and refuses, with a
//! [`ParseError`] saying what and where, anything the types cannot hold: unknown verbs and attributes,
//! invalid values, misplaced text or nesting, malformed XML, and any `<!DOCTYPE>` (so no entity but the
//! five XML predefines). Rendering a parsed document keeps every element, attribute and text; only
//! the spelling may change: attribute order, whitespace between elements, comments (dropped), CDATA
//! and character references (written as escaped text), leading zeros in numbers, and the order of
//! the list values `input` and `recordingStatusCallbackEvent`.

mod element;
mod escape;
mod parse;
mod response;
mod values;
mod verbs;

pub use parse::{ParseError, ParseErrorKind, Position};
pub use response::Response;
pub use values::{
    Input, InvalidValue, Language, Method, RecordingEvent, RecordingEvents, SpeechModel, SpeechTimeout, Trim, UrlRef,
    Voice,
};
pub use verbs::{Gather, GatherVerb, Hangup, Pause, Play, Record, Redirect, Say, Verb};

/// Runs the README's example as a doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

/// The `url` crate, whose [`Url`](url::Url) [`UrlRef::resolve`] takes and returns.
pub use url;
