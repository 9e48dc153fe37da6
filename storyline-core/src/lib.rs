//! Storyline's core: domain types, the recording state machine, Twilio signature validation
//! and a Twilio REST client.

mod ids;
pub mod phone;
pub mod recording;
pub mod signature;
#[cfg(feature = "client")]
pub mod client;

pub use ids::{AccountSid, CallSid, IdError, RecordingId, RecordingSid};
pub use phone::PhoneNumber;
