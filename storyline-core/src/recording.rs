//! The recording state machine (placeholder until written).
