//! What can go wrong when talking to Twilio.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// An error from the Twilio REST client.
///
/// Match on the variant to tell an answer from Twilio ([`Error::Api`]) from a network failure
/// ([`Error::Timeout`], [`Error::Transport`]) or a mistake on our side ([`Error::Config`],
/// [`Error::InvalidRequest`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Twilio answered with an error status and a JSON error body (for example 21211, 20003).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Twilio (or a proxy before it) answered with a body that is not JSON.
    #[error("twilio answered http {status} with a body that is not json")]
    NotJson {
        /// The HTTP status of the answer.
        status: u16,
        /// The `Content-Type` of the answer, if it had one.
        content_type: Option<String>,
        /// The start of the body, lossily decoded, for the logs.
        snippet: String,
    },
    /// The answer was JSON but not of the shape this client expects.
    #[error("twilio answered http {status} with json of an unexpected shape")]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
    /// An attempt got no complete answer within the per-attempt timeout.
    #[error("no answer from twilio within {after:?}")]
    Timeout {
        /// The per-attempt timeout that ran out.
        after: Duration,
    },
    /// The connection failed, or broke while the request or the answer was in flight.
    #[error("transport error ({kind})")]
    Transport {
        /// Which stage failed.
        kind: TransportErrorKind,
        /// The underlying error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The client builder was given settings it cannot use.
    #[error("invalid client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A request was given values it cannot be sent with.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of Twilio's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::NotJson { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a request that creates something (a call) may have taken effect although it failed: no answer in
    /// time, a connection that broke after the request was sent, a 5xx (Twilio may have acted before failing to
    /// answer), or a success whose body could not be read. Look before trying again: list what the request would have created. Other errors (refused,
    /// never sent, a 4xx) certainly created nothing.
    pub fn may_have_taken_effect(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { kind, .. } => *kind == TransportErrorKind::Io,
            // A 2xx whose body could not be read did take effect; a 5xx may have.
            _ => self.status().is_some_and(|s| !(400..500).contains(&s)),
        }
    }

    /// Twilio's error code (see <https://www.twilio.com/docs/api/errors>), when it sent one.
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Api(e) => e.code,
            _ => None,
        }
    }
}

/// Which stage of a connection failed, for [`Error::Transport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The TCP connection could not be made (refused, unreachable, DNS): the request was not sent.
    Connect,
    /// The TLS handshake failed (certificate, protocol): the request was not sent.
    Tls,
    /// The connection broke after it was made; the request may have reached Twilio.
    Io,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Io => "io",
        })
    }
}

/// Twilio's JSON error body, with the HTTP status it came with.
///
/// `{"code": 21211, "message": "…", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("twilio answered http {status}{}: {message}", code.map(|c| format!(" with error {c}")).unwrap_or_default())]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the answer (not the `status` field of the body, which may be absent).
    pub status: u16,
    /// Twilio's error code, such as 21211 (invalid `To`) or 20003 (authentication).
    pub code: Option<u32>,
    /// Twilio's human-readable message; empty if the body had none.
    pub message: String,
    /// The documentation page for the code.
    pub more_info: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
    // RFC 7807 bodies (from proxies and mock servers) say it in `detail` or `title`.
    detail: Option<String>,
    title: Option<String>,
}

/// Turns a non-success answer into the error it stands for.
pub(crate) fn from_error_body(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => Error::Api(ApiError {
            status,
            code: b.code,
            message: b.message.or(b.detail).or(b.title).unwrap_or_default(),
            more_info: b.more_info,
        }),
        Err(source) if source.is_syntax() || source.is_eof() => not_json(status, content_type, body),
        Err(source) => Error::Decode { status, source },
    }
}

/// Decodes a success body, telling "not JSON at all" from "JSON of the wrong shape".
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| {
        if source.is_syntax() || source.is_eof() {
            not_json(status, content_type, body)
        } else {
            Error::Decode { status, source }
        }
    })
}

fn not_json(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    const SNIPPET: usize = 200;
    let end = body.len().min(SNIPPET);
    Error::NotJson {
        status,
        content_type: content_type.map(str::to_owned),
        snippet: String::from_utf8_lossy(&body[..end]).into_owned(),
    }
}

/// Sorts a hyper client error into connect, TLS or I/O.
pub(crate) fn transport(err: hyper_util::client::legacy::Error) -> Error {
    let kind = if err.is_connect() {
        if caused_by_tls(&err) {
            TransportErrorKind::Tls
        } else {
            TransportErrorKind::Connect
        }
    } else {
        TransportErrorKind::Io
    };
    Error::Transport {
        kind,
        source: Box::new(err),
    }
}

/// Walks the cause chain for a rustls error, also inside `io::Error`s, whose `source()` skips
/// the error they wrap.
pub(crate) fn caused_by_tls(err: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && inner.is::<rustls::Error>()
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_twilio_code_message_and_more_info() {
        let body = br#"{"code": 21211, "message": "The 'To' number 123 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        let Error::Api(e) = from_error_body(400, Some("application/json"), body) else {
            panic!("expected an api error");
        };
        assert_eq!(e.status, 400);
        assert_eq!(e.code, Some(21211));
        assert_eq!(e.message, "The 'To' number 123 is not a valid phone number.");
        assert_eq!(e.more_info.as_deref(), Some("https://www.twilio.com/docs/errors/21211"));
        assert_eq!(
            e.to_string(),
            "twilio answered http 400 with error 21211: The 'To' number 123 is not a valid phone number."
        );
    }

    #[test]
    fn only_timeouts_broken_connections_and_5xx_may_have_taken_effect() {
        let broken = |kind| Error::Transport {
            kind,
            source: "reset".into(),
        };
        assert!(
            Error::Timeout {
                after: Duration::from_secs(15)
            }
            .may_have_taken_effect()
        );
        assert!(broken(TransportErrorKind::Io).may_have_taken_effect());
        assert!(from_error_body(502, Some("text/html"), b"<html>Bad Gateway</html>").may_have_taken_effect());
        assert!(
            from_error_body(500, Some("application/json"), br#"{"code": 20500, "status": 500}"#)
                .may_have_taken_effect()
        );
        assert!(from_error_body(201, Some("text/html"), b"<html>created</html>").may_have_taken_effect());
        assert!(!broken(TransportErrorKind::Connect).may_have_taken_effect());
        assert!(!broken(TransportErrorKind::Tls).may_have_taken_effect());
        assert!(
            !from_error_body(400, Some("application/json"), br#"{"code": 21211, "status": 400}"#)
                .may_have_taken_effect()
        );
        assert!(
            !from_error_body(429, Some("application/json"), br#"{"code": 20429, "status": 429}"#)
                .may_have_taken_effect()
        );
    }

    #[test]
    fn html_error_page_is_not_json_and_keeps_status() {
        let err = from_error_body(502, Some("text/html"), b"<html>Bad Gateway</html>");
        match err {
            Error::NotJson {
                status,
                content_type,
                snippet,
            } => {
                assert_eq!(status, 502);
                assert_eq!(content_type.as_deref(), Some("text/html"));
                assert_eq!(snippet, "<html>Bad Gateway</html>");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn empty_error_body_is_not_json() {
        assert!(matches!(
            from_error_body(500, None, b""),
            Error::NotJson { status: 500, .. }
        ));
    }

    #[test]
    fn problem_json_message_falls_back_to_detail() {
        let body =
            br#"{"title":"Invalid request","status":422,"detail":"Request body must have required property 'From'"}"#;
        let err = from_error_body(422, Some("application/problem+json"), body);
        assert_eq!(err.status(), Some(422));
        assert_eq!(err.code(), None);
        let Error::Api(e) = err else { panic!() };
        assert_eq!(e.message, "Request body must have required property 'From'");
    }

    #[test]
    fn json_of_the_wrong_shape_is_a_decode_error() {
        let err = decode_json::<std::collections::BTreeMap<String, u32>>(200, None, br#"{"a":"x"}"#).unwrap_err();
        assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
        let err = decode_json::<std::collections::BTreeMap<String, u32>>(200, None, b"nope").unwrap_err();
        assert!(matches!(err, Error::NotJson { status: 200, .. }), "{err:?}");
    }

    #[test]
    fn finds_a_tls_error_wrapped_in_io_error() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        assert!(caused_by_tls(&io));
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!caused_by_tls(&plain));
    }
}
