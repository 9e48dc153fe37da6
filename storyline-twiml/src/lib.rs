//! TwiML as typed documents.
