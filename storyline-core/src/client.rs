//! The Twilio REST client (placeholder until written).
