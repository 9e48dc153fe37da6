//! Phone numbers (placeholder until written).

/// A phone number in E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);
