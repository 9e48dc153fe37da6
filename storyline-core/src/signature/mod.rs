//! Twilio request signatures (`X-Twilio-Signature`): validation and signing.
//!
//! Twilio signs every webhook with an HMAC of the URL it requested followed by the form
//! parameters (each name then its value, names sorted byte-wise, no separators), keyed with the
//! account's auth token and encoded as base64. [`Validator`] checks that signature the way the
//! official twilio-python and twilio-node libraries do, and [`sign`] produces it.
//!
//! Give the validator the URL exactly as it was configured in Twilio (the public base URL from
//! configuration plus the path and query string), never one rebuilt from the request the server
//! happens to see: behind a TLS-terminating proxy the scheme, host or port differ, and any
//! difference changes the signature.
//!
//! ```
//! use storyline_core::AuthToken;
//! use storyline_core::signature::{Algorithm, Validator, sign};
//!
//! let token: AuthToken = "12345".parse()?;
//! let url = "https://example.com/twilio/voice?story=42";
//! let params = [("CallSid", "CA1"), ("From", "+15551234567")];
//! let header = sign(&token, Algorithm::HmacSha1, url, &params);
//!
//! let validator = Validator::new(token);
//! assert!(validator.validate_form(url, &params, Some(&header), None).is_ok());
//! assert!(validator.validate_form(url, &[("CallSid", "CA2")], Some(&header), None).is_err());
//! # Ok::<(), storyline_core::signature::AuthTokenError>(())
//! ```

mod token;
mod url;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq as _};

pub use token::{AuthToken, AuthTokenError};
use url::WebhookUrl;

/// Why a request's signature was not accepted.
///
/// The variants never say which token or which spelling of the URL came close.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The request has no `X-Twilio-Signature` header, or an empty one.
    #[error("missing X-Twilio-Signature header")]
    MissingSignature,
    /// The signature does not match the URL and parameters under any accepted token.
    #[error("signature does not match")]
    Mismatch,
    /// The URL of a raw-body request has no `bodySHA256` query parameter.
    #[error("url has no bodySHA256 query parameter")]
    MissingBodyHash,
    /// The SHA-256 of the raw body differs from the URL's `bodySHA256` query parameter.
    #[error("body does not match the bodySHA256 query parameter")]
    BodyHashMismatch,
    /// The configured URL is not an absolute `http` or `https` URL.
    #[error("malformed webhook url: {reason}")]
    MalformedUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `X-Twilio-Webhooks-Signature-Settings` names an algorithm this library does not know.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
}

/// The HMAC a signature is computed with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `HMAC_SHA1`: the auth-token signature every account gets.
    #[default]
    HmacSha1,
    /// `HMAC_SHA256`: used when the signature-settings header asks for it.
    HmacSha256,
}

impl Algorithm {
    /// The algorithm named by an `X-Twilio-Webhooks-Signature-Settings` header value, such as
    /// `key=webhooks_sharedkey_…,algorithm=HMAC_SHA256`.
    ///
    /// A missing or empty header, or one without `algorithm=`, means [`Algorithm::HmacSha1`].
    /// An algorithm this library does not know is an error rather than a silent fallback, as in
    /// twilio-python.
    pub fn from_settings_header(header: Option<&str>) -> Result<Self, SignatureError> {
        let named = header.unwrap_or_default().split(',').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            let value = value.trim();
            (name.trim() == "algorithm" && !value.is_empty()).then_some(value)
        });
        match named {
            None => Ok(Self::HmacSha1),
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA1") => Ok(Self::HmacSha1),
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA256") => Ok(Self::HmacSha256),
            Some(other) => Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
        }
    }

    /// The name Twilio uses for the algorithm: `HMAC_SHA1` or `HMAC_SHA256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC_SHA1",
            Self::HmacSha256 => "HMAC_SHA256",
        }
    }
}

/// Checks `X-Twilio-Signature` headers against one auth token, or two while the token rotates.
#[derive(Debug, Clone)]
pub struct Validator {
    primary: AuthToken,
    secondary: Option<AuthToken>,
}

impl Validator {
    /// A validator accepting signatures made with `primary`.
    pub fn new(primary: AuthToken) -> Self {
        Self {
            primary,
            secondary: None,
        }
    }

    /// Also accepts signatures made with `secondary`, for the time Twilio may sign with either
    /// token during a rotation.
    pub fn with_secondary(mut self, secondary: AuthToken) -> Self {
        self.secondary = Some(secondary);
        self
    }

    /// Validates a form POST (`application/x-www-form-urlencoded`), given its decoded pairs in any
    /// order, repeated names included.
    ///
    /// `url` is the full URL as configured in Twilio, query string included; `signature` is the
    /// `X-Twilio-Signature` header and `settings` the `X-Twilio-Webhooks-Signature-Settings` header.
    /// Like the official libraries, the URL is accepted spelled with or without its port (`:443`
    /// for https, `:80` for http, or the non-default port it names); scheme and host must match.
    pub fn validate_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: Option<&str>,
        settings: Option<&str>,
    ) -> Result<(), SignatureError> {
        let signature = non_empty(signature)?;
        let algorithm = Algorithm::from_settings_header(settings)?;
        let url = WebhookUrl::parse(url)?;
        self.check(algorithm, &url, &param_suffix(params), signature)
    }

    /// Validates a request without form parameters, such as a GET whose parameters are all in the
    /// query string. Same rules as [`Validator::validate_form`].
    pub fn validate_url(
        &self,
        url: &str,
        signature: Option<&str>,
        settings: Option<&str>,
    ) -> Result<(), SignatureError> {
        self.validate_form::<&str, &str>(url, &[], signature, settings)
    }

    /// Validates a request with a raw (for example JSON) body: Twilio then puts
    /// `bodySHA256=<hex SHA-256 of the body>` in the URL and signs the URL alone.
    ///
    /// Both the signature of the URL and the body's hash must match.
    pub fn validate_body(
        &self,
        url: &str,
        body: &[u8],
        signature: Option<&str>,
        settings: Option<&str>,
    ) -> Result<(), SignatureError> {
        let signature = non_empty(signature)?;
        let algorithm = Algorithm::from_settings_header(settings)?;
        let url = WebhookUrl::parse(url)?;
        let expected_hash = url.query_value("bodySHA256").ok_or(SignatureError::MissingBodyHash)?;
        self.check(algorithm, &url, "", signature)?;
        if bool::from(body_sha256(body).as_bytes().ct_eq(expected_hash.as_bytes())) {
            Ok(())
        } else {
            Err(SignatureError::BodyHashMismatch)
        }
    }

    fn check(
        &self,
        algorithm: Algorithm,
        url: &WebhookUrl<'_>,
        params: &str,
        signature: &str,
    ) -> Result<(), SignatureError> {
        // Every token and spelling is tried, so timing does not tell which one matched.
        let mut matched = Choice::from(0);
        for token in std::iter::once(&self.primary).chain(&self.secondary) {
            for [head, colon, port, rest] in url.spellings() {
                let pieces = [head, colon, port, rest, params];
                let mut expected = [0; MAX_SIGNATURE_LEN];
                let len = signature_into(token, algorithm, &pieces, &mut expected);
                matched |= expected[..len].ct_eq(signature.as_bytes());
            }
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// The `X-Twilio-Signature` header value Twilio would send for `url` and form `params`.
///
/// `url` is signed exactly as given, port and query string included; `params` may come in any
/// order. For a raw-body request, put `bodySHA256=` followed by [`body_sha256`] of the body in
/// the URL's query and pass no parameters.
pub fn sign<K: AsRef<str>, V: AsRef<str>>(
    token: &AuthToken,
    algorithm: Algorithm,
    url: &str,
    params: &[(K, V)],
) -> String {
    let mut out = [0; MAX_SIGNATURE_LEN];
    let len = signature_into(token, algorithm, &[url, &param_suffix(params)], &mut out);
    out[..len].iter().copied().map(char::from).collect()
}

/// The lowercase hexadecimal SHA-256 of a raw body, as Twilio writes it in `bodySHA256`.
pub fn body_sha256(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Base64 of a SHA-256 HMAC, the longer of the two.
const MAX_SIGNATURE_LEN: usize = 44;

fn non_empty(signature: Option<&str>) -> Result<&str, SignatureError> {
    signature
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingSignature)
}

/// Each distinct pair once, sorted by name then value, concatenated. Sorting `&str` is byte-wise,
/// and dropping repeated pairs matches both official libraries, which put the values in a set.
fn param_suffix<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_ref(), value.as_ref()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut suffix = String::with_capacity(pairs.iter().map(|(n, v)| n.len() + v.len()).sum());
    for (name, value) in pairs {
        suffix.push_str(name);
        suffix.push_str(value);
    }
    suffix
}

/// Writes the base64 HMAC of the concatenated `pieces` into `out` and returns its length.
fn signature_into(
    token: &AuthToken,
    algorithm: Algorithm,
    pieces: &[&str],
    out: &mut [u8; MAX_SIGNATURE_LEN],
) -> usize {
    fn encode<M: Mac + hmac::digest::KeyInit>(key: &[u8], pieces: &[&str], out: &mut [u8]) -> usize {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("hmac accepts keys of any length");
        for piece in pieces {
            mac.update(piece.as_bytes());
        }
        STANDARD
            .encode_slice(mac.finalize().into_bytes(), out)
            .expect("the buffer fits a base64 SHA-256 digest")
    }
    let key = token.expose_secret().as_bytes();
    match algorithm {
        Algorithm::HmacSha1 => encode::<Hmac<Sha1>>(key, pieces, out),
        Algorithm::HmacSha256 => encode::<Hmac<Sha256>>(key, pieces, out),
    }
}

#[cfg(test)]
mod tests;
