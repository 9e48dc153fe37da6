//! Identifiers: Twilio's SIDs and Storyline's public recording id.
//!
//! Each is a newtype with a private field, built only through [`FromStr`] (or, for
//! [`RecordingId`], [`RecordingId::random`]), so a value of the type is always well formed.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A string that is not a valid identifier of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The value does not have the shape of the named identifier.
    #[error("not a valid {kind}: expected {expected}")]
    Malformed {
        /// What was being parsed, for example `account sid`.
        kind: &'static str,
        /// The shape that was expected, for example `AC followed by 32 hexadecimal digits`.
        expected: &'static str,
    },
    /// The operating system's random source failed.
    #[error("the system random number generator failed")]
    Random(#[source] getrandom::Error),
}

macro_rules! twilio_sid {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The two-letter prefix every value of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// The SID as Twilio writes it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Builds a SID from 16 bytes: the prefix followed by 32 lowercase hexadecimal digits.
            ///
            /// Useful for tests and for Twilio-compatible servers that mint their own SIDs.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                let mut s = String::with_capacity(34);
                s.push_str($prefix);
                for b in bytes {
                    s.push_str(&format!("{b:02x}"));
                }
                Self(s)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let valid = s.len() == 34
                    && s.starts_with($prefix)
                    && s[2..].bytes().all(|b| b.is_ascii_hexdigit());
                if valid {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError::Malformed {
                        kind: $kind,
                        expected: concat!($prefix, " followed by 32 hexadecimal digits"),
                    })
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

twilio_sid!(
    /// A Twilio account SID: `AC` followed by 32 hexadecimal digits.
    AccountSid,
    "AC",
    "account sid"
);
twilio_sid!(
    /// A Twilio call SID: `CA` followed by 32 hexadecimal digits.
    CallSid,
    "CA",
    "call sid"
);
twilio_sid!(
    /// A Twilio recording SID: `RE` followed by 32 hexadecimal digits.
    RecordingSid,
    "RE",
    "recording sid"
);

/// The public id of a recording: 128 random bits, written as 22 URL-safe base64 characters.
///
/// It appears in the storyteller's page URL and in webhook URLs, so it must not be guessable
/// or enumerable; it carries no meaning and no order.
///
/// ```
/// use storyline_core::RecordingId;
/// let id = RecordingId::random().unwrap();
/// let again: RecordingId = id.as_str().parse().unwrap();
/// assert_eq!(id, again);
/// assert_eq!(id.as_str().len(), 22);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordingId(String);

impl RecordingId {
    /// Length of the textual form.
    pub const LEN: usize = 22;

    /// A fresh id from the operating system's random source.
    pub fn random() -> Result<Self, IdError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(IdError::Random)?;
        Ok(Self::from_bytes(bytes))
    }

    /// The id for these 16 bytes (for tests; production ids come from [`RecordingId::random`]).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The id as it appears in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short tag for logs. The id is the only key to a story, so logs never carry it whole: the tag is the first
    /// 8 hex digits of the id's SHA-256, the same for the same id (so log lines can be followed), and does not give
    /// the id back.
    ///
    /// ```
    /// use storyline_core::RecordingId;
    /// let id = RecordingId::from_bytes([7; 16]);
    /// let tag = id.log_tag().to_string();
    /// assert_eq!(tag.len(), 8);
    /// assert!(!id.as_str().contains(&tag));
    /// assert_eq!(tag, id.log_tag().to_string());
    /// ```
    pub fn log_tag(&self) -> LogTag {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        LogTag([digest[0], digest[1], digest[2], digest[3]])
    }
}

/// A recording's tag in logs: see [`RecordingId::log_tag`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogTag([u8; 4]);

impl fmt::Display for LogTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for LogTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogTag({self})")
    }
}

impl FromStr for RecordingId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = IdError::Malformed {
            kind: "recording id",
            expected: "22 URL-safe base64 characters",
        };
        if s.len() != Self::LEN {
            return Err(malformed);
        }
        // Decoding and re-encoding rejects ids whose last character carries stray bits,
        // so every id has exactly one spelling.
        match URL_SAFE_NO_PAD.decode(s) {
            Ok(bytes) if bytes.len() == 16 && URL_SAFE_NO_PAD.encode(&bytes) == s => Ok(Self(s.to_owned())),
            _ => Err(malformed),
        }
    }
}

impl fmt::Display for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Debug` output ends up in logs and panics: the tag, never the id.
        write!(f, "RecordingId(tag {})", self.log_tag())
    }
}

impl AsRef<str> for RecordingId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for RecordingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RecordingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sids_with_their_own_prefix_only() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        assert!(format!("AC{hex}").parse::<AccountSid>().is_ok());
        assert!(format!("CA{hex}").parse::<CallSid>().is_ok());
        assert!(format!("RE{hex}").parse::<RecordingSid>().is_ok());
        assert!(format!("CA{hex}").parse::<AccountSid>().is_err());
        assert!(format!("AC{hex}0").parse::<AccountSid>().is_err());
        assert!("AC0123456789abcdef0123456789abcdeg".parse::<AccountSid>().is_err());
        assert!("".parse::<CallSid>().is_err());
    }

    #[test]
    fn sid_from_bytes_round_trips() {
        let sid = CallSid::from_bytes([0xab; 16]);
        assert_eq!(sid.as_str(), format!("CA{}", "ab".repeat(16)));
        assert_eq!(sid.as_str().parse::<CallSid>().unwrap(), sid);
    }

    #[test]
    fn recording_ids_are_random_and_round_trip() {
        let a = RecordingId::random().unwrap();
        let b = RecordingId::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<RecordingId>().unwrap(), a);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn rejects_malformed_recording_ids() {
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAA/",
        ] {
            assert!(bad.parse::<RecordingId>().is_err(), "{bad}");
        }
        // 22 characters whose final one has non-zero padding bits has no canonical form.
        assert!("AAAAAAAAAAAAAAAAAAAAAB".parse::<RecordingId>().is_err());
        assert!("AAAAAAAAAAAAAAAAAAAAAA".parse::<RecordingId>().is_ok());
    }
}
