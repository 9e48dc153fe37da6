//! A small Twilio REST client: place a call, read it back, fetch, list, download and delete
//! its recordings.
//!
//! Written on hyper 1 with rustls (ring, Mozilla's roots); plain `http://` base URLs work too,
//! for a local sandbox or test server. Every request is an owned builder: its `build_request()`
//! is a pure function you can inspect, its `send()` does the I/O.
//!
//! ```no_run
//! use std::time::Duration;
//! use storyline_core::AccountSid;
//! use storyline_core::client::{CallEvent, Client, MachineDetection};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let account: AccountSid = "AC0123456789abcdef0123456789abcdef".parse()?;
//! let client = Client::builder()
//!     .account_sid(account)
//!     .auth_token("your-auth-token")
//!     .timeout(Duration::from_secs(10))
//!     .build()?;
//!
//! let call = client
//!     .create_call("+15558675310", "+15017122661")
//!     .url("https://example.com/twiml/start")
//!     .status_callback("https://example.com/status")
//!     .status_callback_events([CallEvent::Initiated, CallEvent::Answered, CallEvent::Completed])
//!     .machine_detection(MachineDetection::Enable)
//!     .send()
//!     .await?;
//! println!("placed {:?}, status {:?}", call.sid, call.status);
//! # Ok(())
//! # }
//! ```
//!
//! # Retries
//! 429 and 5xx answers, timeouts and failed connections are retried with exponential backoff and
//! jitter (honouring `Retry-After`), up to [`ClientBuilder::max_attempts`], **except** where a
//! repeat could place a second call: creating a call is retried only after a 429 or a connection
//! that was never made, never after a 5xx or a timeout. Reads and deletes are always retried.
//!
//! # Errors
//! Twilio's error code, message and `more_info` are kept in [`ApiError`]; see [`Error`] for the
//! rest.

mod builder;
mod calls;
mod error;
mod media;
mod models;
mod recordings;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use http::{Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;

pub use builder::ClientBuilder;
pub use calls::{
    CallEvent, CallbackMethod, CreateCall, FetchCall, ListCalls, MachineDetection, RecordingChannels, RecordingEvent,
    Trim,
};
pub use error::{ApiError, Error, TransportErrorKind};
pub use media::{DownloadMedia, MediaFormat, MediaStream};
pub use models::{
    Call, CallDirection, CallPage, CallStatus, Recording, RecordingPage, RecordingSource, RecordingStatus,
    parse_duration_secs,
};
pub use recordings::{DeleteRecording, FetchRecording, ListRecordings};

use crate::AccountSid;
use builder::Origin;
use retry::{Failure, RequestKind, RetryPolicy};

/// Twilio's REST API, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The API version every path starts with.
const API_VERSION: &str = "2010-04-01";

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// A Twilio REST client; cheap to clone (clones share one connection pool).
///
/// Build it with [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base_url: String,
    origin: Origin,
    account_sid: AccountSid,
    authorization: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("account_sid", &self.inner.account_sid)
            .field("credentials", &"<redacted>")
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The account this client works on.
    pub fn account_sid(&self) -> &AccountSid {
        &self.inner.account_sid
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// `{base}/2010-04-01/Accounts/{AccountSid}/{rest}`.
    fn account_url(&self, rest: &str) -> String {
        format!(
            "{}/{API_VERSION}/Accounts/{}/{rest}",
            self.inner.base_url, self.inner.account_sid
        )
    }

    /// An API request with the headers every one carries; `form` makes it a form POST body.
    fn api_request(&self, method: Method, url: &str, form: Option<String>) -> Result<http::Request<Bytes>, Error> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(url)
            .header(AUTHORIZATION, self.inner.authorization.clone())
            .header(ACCEPT, JSON)
            .header(USER_AGENT, self.inner.user_agent.clone());
        if form.is_some() {
            builder = builder.header(CONTENT_TYPE, FORM);
        }
        builder
            .body(form.map(Bytes::from).unwrap_or_default())
            .map_err(|e| Error::InvalidRequest {
                reason: format!("cannot build a request for {url:?}: {e}"),
            })
    }

    /// Sends a request whose success answer is JSON.
    async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        request: http::Request<Bytes>,
        kind: RequestKind,
    ) -> Result<T, Error> {
        let answer = self.execute(request, kind, Read::Buffered).await?;
        let body = answer.buffered();
        let status = answer.status.as_u16();
        let content_type = content_type(&answer.headers);
        if answer.status.is_success() {
            error::decode_json(status, content_type, &body)
        } else {
            Err(error::from_error_body(status, content_type, &body))
        }
    }

    /// Sends a request whose success answer has no body worth reading (`204 No Content`).
    async fn send_no_content(&self, request: http::Request<Bytes>, kind: RequestKind) -> Result<(), Error> {
        let answer = self.execute(request, kind, Read::Buffered).await?;
        if answer.status.is_success() {
            return Ok(());
        }
        let body = answer.buffered();
        Err(error::from_error_body(
            answer.status.as_u16(),
            content_type(&answer.headers),
            &body,
        ))
    }

    /// Runs attempts until one gets an answer that is final under the retry rules.
    ///
    /// Returns the last answer even when it is an error status: the caller reads its body.
    async fn execute(&self, request: http::Request<Bytes>, kind: RequestKind, read: Read) -> Result<Answer, Error> {
        let (parts, body) = request.into_parts();
        let mut attempt = 1;
        loop {
            let request = http::Request::from_parts(parts.clone(), Full::new(body.clone()));
            let (failure, retry_after, answer) = match self.attempt(request, read).await {
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    if status != 429 && !answer.status.is_server_error() {
                        return Ok(answer);
                    }
                    let retry_after = answer
                        .headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(retry::parse_retry_after);
                    (Failure::Status(status), retry_after, Some(answer))
                }
                Err(e) => (Failure::Error(e), None, None),
            };
            let wait = if kind.may_retry(&failure) {
                self.inner.retry.delay(attempt, retry_after, retry::jitter())
            } else {
                None
            };
            match (wait, failure, answer) {
                (Some(wait), _, _) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                (None, Failure::Error(e), _) => return Err(e),
                (None, Failure::Status(_), Some(answer)) => return Ok(answer),
                (None, Failure::Status(s), None) => unreachable!("status {s} without an answer"),
            }
        }
    }

    /// One attempt, bounded by the per-attempt timeout.
    async fn attempt(&self, request: http::Request<Full<Bytes>>, read: Read) -> Result<Answer, Error> {
        let timeout = self.inner.timeout;
        let exchange = async {
            let response = self.inner.http.request(request).await.map_err(error::transport)?;
            let (parts, body) = response.into_parts();
            let body = match read {
                Read::Buffered => Body::Buffered(body.collect().await.map_err(body_error)?.to_bytes()),
                Read::Streaming => Body::Streaming(body),
            };
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout { after: timeout })?
    }
}

/// Whether an attempt reads the whole body or hands it on as a stream.
#[derive(Debug, Clone, Copy)]
enum Read {
    Buffered,
    Streaming,
}

enum Body {
    Buffered(Bytes),
    Streaming(Incoming),
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl Answer {
    fn buffered(&self) -> Bytes {
        match &self.body {
            Body::Buffered(b) => b.clone(),
            Body::Streaming(_) => Bytes::new(),
        }
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

fn body_error(e: hyper::Error) -> Error {
    Error::Transport {
        kind: TransportErrorKind::Io,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests;
