//! Twilio request signatures (placeholder until written).
