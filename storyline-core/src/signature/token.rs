//! The secret Twilio signs with, kept out of logs.

use std::fmt;
use std::str::FromStr;

/// A Twilio auth token (or webhook SharedKey secret): the HMAC key of request signatures and the
/// password of the REST API's Basic auth.
///
/// Its `Debug` output is redacted so the token never reaches a log line through `{:?}`; it has no
/// `Display`. Read it with [`AuthToken::expose_secret`] only where the raw value is needed.
///
/// ```
/// use storyline_core::AuthToken;
///
/// let token: AuthToken = "12345".parse()?;
/// assert_eq!(format!("{token:?}"), "AuthToken(<redacted>)");
/// assert_eq!(token.expose_secret(), "12345");
/// # Ok::<(), storyline_core::signature::AuthTokenError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

/// A string that cannot be an auth token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthTokenError {
    /// The token is empty: an empty HMAC key would let anyone forge signatures.
    #[error("auth token is empty")]
    Empty,
    /// The token starts or ends with whitespace, usually a newline left by a secrets file.
    #[error("auth token has leading or trailing whitespace")]
    SurroundingWhitespace,
}

impl AuthToken {
    /// The raw token, for computing an HMAC or an `Authorization` header. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

impl FromStr for AuthToken {
    type Err = AuthTokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check(s)?;
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for AuthToken {
    type Error = AuthTokenError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        check(&s)?;
        Ok(Self(s))
    }
}

fn check(s: &str) -> Result<(), AuthTokenError> {
    if s.is_empty() {
        Err(AuthTokenError::Empty)
    } else if s.trim() != s {
        Err(AuthTokenError::SurroundingWhitespace)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let token: AuthToken = "s3cr3t-value".parse().unwrap();
        let shown = format!("{token:?} {:?}", Some(&token));
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn rejects_empty_token() {
        assert_eq!("".parse::<AuthToken>(), Err(AuthTokenError::Empty));
        assert_eq!(AuthToken::try_from(String::new()), Err(AuthTokenError::Empty));
    }

    #[test]
    fn rejects_token_with_trailing_newline() {
        assert_eq!(
            AuthToken::try_from("abc\n".to_owned()),
            Err(AuthTokenError::SurroundingWhitespace)
        );
        assert_eq!(" abc".parse::<AuthToken>(), Err(AuthTokenError::SurroundingWhitespace));
    }

    #[test]
    fn keeps_the_token_exactly() {
        let token = AuthToken::try_from("a b".to_owned()).unwrap();
        assert_eq!(token.expose_secret(), "a b");
    }
}
