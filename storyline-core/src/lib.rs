#![doc = include_str!("../README.md")]

#[cfg(feature = "client")]
pub mod client;
pub mod events;
mod ids;
pub mod phone;
pub mod recording;
pub mod signature;

pub use ids::{AccountSid, CallSid, IdError, LogTag, RecordingId, RecordingSid};
pub use phone::PhoneNumber;
pub use signature::AuthToken;
