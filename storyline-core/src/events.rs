//! Signatures of Storyline's event webhooks (`Storyline-Signature`), for the host services that
//! receive them.
//!
//! ```
//! use std::time::{SystemTime, UNIX_EPOCH};
//! use storyline_core::events::{self, DEFAULT_TOLERANCE};
//!
//! let secret = "whsec_test";
//! let body = br#"{"id":"evt_1","type":"story.completed"}"#;
//! let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
//! let header = events::sign(secret, now, body); // what Storyline sends as `Storyline-Signature`
//!
//! // The host: one call with the raw body, before parsing it.
//! let timestamp = events::verify(secret, &header, body, DEFAULT_TOLERANCE)?;
//! assert_eq!(timestamp, now);
//! assert!(events::verify(secret, &header, br#"{"id":"evt_2"}"#, DEFAULT_TOLERANCE).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Storyline POSTs each event as JSON and signs it exactly the way Stripe signs its webhooks. The
//! [`HEADER`] is a comma-separated list of `key=value` entries:
//!
//! ```text
//! Storyline-Signature: t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925
//! ```
//!
//! `t` is the Unix time of signing in seconds and each `v1` the lowercase hexadecimal
//! HMAC-SHA256, keyed with the endpoint's signing secret, of `t`, a `.`, and the raw request body.
//! While a secret rotates the header carries one `v1` per secret, and any one matching is enough;
//! entries of other schemes (such as `v0`) are ignored. A signature is only accepted within a
//! tolerance of the current time, before or after it, so a captured request cannot be replayed
//! later.
//!
//! Verify the body exactly as received, byte for byte: a body parsed and serialized again no
//! longer matches its signature.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq as _};

/// The name of the HTTP header carrying the signature.
pub const HEADER: &str = "Storyline-Signature";

/// How far a signature's timestamp may be from the current time, before or after it: five
/// minutes, as Stripe's libraries default to.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The scheme of the signatures this module makes and checks.
const SCHEME: &str = "v1";

/// Why a request's `Storyline-Signature` was not accepted.
///
/// No variant carries the secret or the signatures expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The secret to verify with is empty, most likely missing from configuration: anyone could
    /// sign with an empty key, so nothing is accepted.
    #[error("signing secret is empty")]
    EmptySecret,
    /// The header is not a comma-separated list of `key=value` entries, its `t` is not a whole
    /// number of seconds, or it has more than one `t`.
    #[error("malformed Storyline-Signature header")]
    MalformedHeader,
    /// The header has no `t` entry.
    #[error("Storyline-Signature header has no timestamp")]
    NoTimestamp,
    /// The header has no `v1` entry.
    #[error("Storyline-Signature header has no v1 signature")]
    NoSignature,
    /// No `v1` signature matches the timestamp and body under the secret.
    #[error("signature does not match")]
    Mismatch,
    /// The signature matches, but its timestamp is further from now than the tolerance allows:
    /// too old (possibly a replay) or too far in the future.
    #[error("timestamp {timestamp} is outside the tolerance of the current time {now}")]
    TimestampOutsideTolerance {
        /// The header's timestamp, in Unix seconds.
        timestamp: u64,
        /// The current time it was checked against, in Unix seconds.
        now: u64,
    },
}

/// The `Storyline-Signature` header value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<signature>`.
///
/// An empty `secret` still signs, but [`verify`] accepts nothing under an empty secret.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    format!("t={timestamp},{SCHEME}={}", signature_hex(secret, timestamp, body))
}

/// Verifies a request's `Storyline-Signature` `header` against its raw `body` at the current
/// system time, and returns the timestamp it was signed at (Unix seconds).
///
/// The timestamp may be at most `tolerance` (whole seconds; [`DEFAULT_TOLERANCE`] unless there is
/// reason otherwise) before or after now. See [`verify_at`] for the rules.
pub fn verify(secret: &str, header: &str, body: &[u8], tolerance: Duration) -> Result<u64, VerifyError> {
    // A clock before 1970 counts as 1970, which rejects every real timestamp.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    verify_at(secret, header, body, tolerance, now)
}

/// [`verify`] against a given current time `now` (Unix seconds) rather than the system clock.
///
/// Accepts the header if its single `t` is a whole number of seconds, at least one of its `v1`
/// entries is the signature of `t` and `body` under `secret`, and `t` is at most `tolerance`
/// before or after `now`; returns `t`. Entries of other schemes are ignored. Every `v1` entry is
/// compared, in constant time, whichever matches. The signature is checked before the timestamp,
/// so [`VerifyError::TimestampOutsideTolerance`] means an authentic request that is stale (or
/// from the future), not a forgery.
pub fn verify_at(secret: &str, header: &str, body: &[u8], tolerance: Duration, now: u64) -> Result<u64, VerifyError> {
    if secret.is_empty() {
        return Err(VerifyError::EmptySecret);
    }
    let mut timestamp = None;
    let mut any_signature = false;
    let mut signatures = Vec::new();
    for entry in header.split(',') {
        let (key, value) = entry.split_once('=').ok_or(VerifyError::MalformedHeader)?;
        match key {
            "t" if timestamp.is_none() => timestamp = Some(parse_timestamp(value)?),
            "t" => return Err(VerifyError::MalformedHeader),
            SCHEME => {
                any_signature = true;
                signatures.push(value);
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::NoTimestamp)?;
    if !any_signature {
        return Err(VerifyError::NoSignature);
    }

    let expected = signature_hex(secret, timestamp, body);
    // No early exit: every entry is compared, so timing does not tell which one matched.
    let matched = signatures.iter().fold(Choice::from(0), |matched, given| {
        matched | expected.as_bytes().ct_eq(given.as_bytes())
    });
    if !bool::from(matched) {
        return Err(VerifyError::Mismatch);
    }
    if now.abs_diff(timestamp) > tolerance.as_secs() {
        return Err(VerifyError::TimestampOutsideTolerance { timestamp, now });
    }
    Ok(timestamp)
}

/// ASCII digits only: no sign, no spaces, nothing `u64::from_str` would also accept.
fn parse_timestamp(value: &str) -> Result<u64, VerifyError> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(VerifyError::MalformedHeader);
    }
    value.parse().map_err(|_| VerifyError::MalformedHeader)
}

/// Lowercase hex HMAC-SHA256 of `<timestamp>.<body>`, the timestamp written in decimal as
/// Stripe's libraries write it again after parsing.
fn signature_hex(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let mut hex = String::with_capacity(64);
    for byte in mac.finalize().into_bytes() {
        write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;
    const T: u64 = 1_700_000_000;
    /// `hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()` in
    /// Python, independently of this implementation.
    const KNOWN_V1: &str = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";
    /// The same, keyed with `whsec_other`.
    const OTHER_V1: &str = "d8d091c76b586cff4dbd317fc47ebddff4b86de3ce18d3c03753c3c1901d475a";

    fn check(header: &str) -> Result<u64, VerifyError> {
        verify_at(SECRET, header, BODY, DEFAULT_TOLERANCE, T)
    }

    #[test]
    fn matches_a_known_vector_computed_independently() {
        assert_eq!(sign(SECRET, T, BODY), format!("t={T},v1={KNOWN_V1}"));
        assert_eq!(check(&format!("t={T},v1={KNOWN_V1}")), Ok(T));
        assert_eq!(sign("whsec_other", T, BODY), format!("t={T},v1={OTHER_V1}"));
    }

    #[test]
    fn accepts_its_own_signature() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(check(&header), Ok(T));
        assert_eq!(verify_at(SECRET, &header, BODY, Duration::ZERO, T), Ok(T));
    }

    #[test]
    fn verify_uses_the_system_clock() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(
            verify(SECRET, &sign(SECRET, now, BODY), BODY, DEFAULT_TOLERANCE),
            Ok(now)
        );
        assert!(matches!(
            verify(SECRET, &sign(SECRET, T, BODY), BODY, DEFAULT_TOLERANCE),
            Err(VerifyError::TimestampOutsideTolerance { timestamp: T, .. })
        ));
    }

    #[test]
    fn rejects_a_changed_body() {
        let header = sign(SECRET, T, BODY);
        for body in [
            &br#"{"id":"evt_2"}"#[..],
            br#"{"id": "evt_1"}"#,
            b"",
            br#"{"id":"evt_1"} "#,
        ] {
            assert_eq!(
                verify_at(SECRET, &header, body, DEFAULT_TOLERANCE, T),
                Err(VerifyError::Mismatch)
            );
        }
    }

    #[test]
    fn rejects_a_changed_timestamp() {
        assert_eq!(check(&format!("t={},v1={KNOWN_V1}", T + 1)), Err(VerifyError::Mismatch));
        assert_eq!(check(&format!("t={},v1={KNOWN_V1}", T - 1)), Err(VerifyError::Mismatch));
        // Like Stripe's libraries, the timestamp is signed as written again after parsing, so a
        // leading zero names the same second and the same signed payload.
        assert_eq!(check(&format!("t=0{T},v1={KNOWN_V1}")), Ok(T));
    }

    #[test]
    fn rejects_a_wrong_secret() {
        let header = sign("whsec_other", T, BODY);
        assert_eq!(check(&header), Err(VerifyError::Mismatch));
        assert_eq!(
            verify_at("whsec_tes", &sign(SECRET, T, BODY), BODY, DEFAULT_TOLERANCE, T),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn rejects_an_empty_secret_even_with_a_signature_made_with_it() {
        let header = sign("", T, BODY);
        assert_eq!(
            verify_at("", &header, BODY, DEFAULT_TOLERANCE, T),
            Err(VerifyError::EmptySecret)
        );
    }

    #[test]
    fn rejects_too_old() {
        let header = sign(SECRET, T, BODY);
        let limit = T + DEFAULT_TOLERANCE.as_secs();
        assert_eq!(verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, limit), Ok(T));
        assert_eq!(
            verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, limit + 1),
            Err(VerifyError::TimestampOutsideTolerance {
                timestamp: T,
                now: limit + 1
            })
        );
    }

    #[test]
    fn rejects_too_far_in_the_future() {
        let header = sign(SECRET, T, BODY);
        let limit = T - DEFAULT_TOLERANCE.as_secs();
        assert_eq!(verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, limit), Ok(T));
        assert_eq!(
            verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, limit - 1),
            Err(VerifyError::TimestampOutsideTolerance {
                timestamp: T,
                now: limit - 1
            })
        );
        // Near the ends of u64 the difference neither overflows nor wraps around.
        let header = sign(SECRET, u64::MAX, BODY);
        assert!(matches!(
            verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, 0),
            Err(VerifyError::TimestampOutsideTolerance { .. })
        ));
        assert_eq!(
            verify_at(SECRET, &header, BODY, DEFAULT_TOLERANCE, u64::MAX),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn tolerance_counts_whole_seconds() {
        let header = sign(SECRET, T, BODY);
        let tolerance = Duration::from_millis(1_999);
        assert_eq!(verify_at(SECRET, &header, BODY, tolerance, T + 1), Ok(T));
        assert!(verify_at(SECRET, &header, BODY, tolerance, T + 2).is_err());
    }

    #[test]
    fn accepts_when_any_of_several_v1_matches() {
        for header in [
            format!("t={T},v1={OTHER_V1},v1={KNOWN_V1}"),
            format!("t={T},v1={KNOWN_V1},v1={OTHER_V1}"),
            format!("v1={OTHER_V1},v1=deadbeef,t={T},v1={KNOWN_V1}"),
        ] {
            assert_eq!(check(&header), Ok(T), "{header}");
        }
        assert_eq!(
            check(&format!("t={T},v1={OTHER_V1},v1=deadbeef")),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn ignores_v0_entries() {
        // A v0 holding the right signature is not accepted in place of a v1 ...
        assert_eq!(check(&format!("t={T},v0={KNOWN_V1}")), Err(VerifyError::NoSignature));
        // ... and other schemes beside a matching v1 change nothing.
        let header =
            format!("t={T},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39,v1={KNOWN_V1},x=");
        assert_eq!(check(&header), Ok(T));
    }

    #[test]
    fn compares_the_hex_exactly() {
        let upper = KNOWN_V1.to_uppercase();
        let truncated = &KNOWN_V1[..63];
        let padded = format!("{KNOWN_V1} ");
        for v1 in [upper.as_str(), truncated, &padded, ""] {
            assert_eq!(check(&format!("t={T},v1={v1}")), Err(VerifyError::Mismatch), "{v1:?}");
        }
    }

    #[test]
    fn rejects_missing_t() {
        assert_eq!(check(&format!("v1={KNOWN_V1}")), Err(VerifyError::NoTimestamp));
        assert_eq!(check(&format!("T={T},v1={KNOWN_V1}")), Err(VerifyError::NoTimestamp));
    }

    #[test]
    fn rejects_a_t_that_is_not_an_integer() {
        for t in [
            "",
            "abc",
            "-1",
            "+1700000000",
            " 1700000000",
            "1700000000.5",
            "1e9",
            "18446744073709551616",
        ] {
            assert_eq!(
                check(&format!("t={t},v1={KNOWN_V1}")),
                Err(VerifyError::MalformedHeader),
                "{t:?}"
            );
        }
    }

    #[test]
    fn rejects_more_than_one_t() {
        assert_eq!(
            check(&format!("t={T},t={T},v1={KNOWN_V1}")),
            Err(VerifyError::MalformedHeader)
        );
        assert_eq!(
            check(&format!("t={T},v1={KNOWN_V1},t=1")),
            Err(VerifyError::MalformedHeader)
        );
    }

    #[test]
    fn rejects_missing_v1() {
        assert_eq!(check(&format!("t={T}")), Err(VerifyError::NoSignature));
        assert_eq!(check(&format!("t={T},v2={KNOWN_V1}")), Err(VerifyError::NoSignature));
    }

    #[test]
    fn rejects_a_garbage_header() {
        for header in [
            "",
            ",",
            "garbage",
            KNOWN_V1,
            &format!("t={T};v1={KNOWN_V1}"),
            &format!("t={T},v1={KNOWN_V1},"),
            &format!("t={T}, v1={KNOWN_V1}"),
            &format!("{HEADER}: t={T},v1={KNOWN_V1}"),
        ] {
            assert!(check(header).is_err(), "{header:?}");
        }
        assert_eq!(check("garbage"), Err(VerifyError::MalformedHeader));
        assert_eq!(check(""), Err(VerifyError::MalformedHeader));
    }

    #[test]
    fn errors_say_nothing_of_the_secret_or_the_expected_signature() {
        let errors = [
            check(&format!("t={T},v1={OTHER_V1}")).unwrap_err(),
            verify_at(SECRET, &sign(SECRET, T, BODY), BODY, DEFAULT_TOLERANCE, 0).unwrap_err(),
            check("garbage").unwrap_err(),
        ];
        for error in errors {
            for text in [error.to_string(), format!("{error:?}")] {
                assert!(!text.contains(SECRET) && !text.contains(KNOWN_V1), "{text}");
            }
        }
    }

    #[test]
    fn messages_are_lowercase_but_for_the_header_name() {
        let errors = [
            VerifyError::EmptySecret,
            VerifyError::MalformedHeader,
            VerifyError::NoTimestamp,
            VerifyError::NoSignature,
            VerifyError::Mismatch,
            VerifyError::TimestampOutsideTolerance { timestamp: 1, now: 2 },
        ];
        for error in errors {
            let message = error.to_string().replace(HEADER, "");
            assert_eq!(message, message.to_lowercase(), "{error:?}");
        }
    }
}
