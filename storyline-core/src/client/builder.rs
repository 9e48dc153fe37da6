//! The client builder: credentials, base URL, timeout, retries, TLS.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http::Uri;
use http::header::HeaderValue;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::retry::RetryPolicy;
use super::{Client, DEFAULT_BASE_URL, Error, Inner};
use crate::AccountSid;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A secret that never shows in `Debug` output.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone)]
enum Credentials {
    AuthToken(Secret),
    ApiKey { sid: String, secret: Secret },
}

/// Settings for a [`Client`]; start from [`Client::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ClientBuilder {
    base_url: String,
    account_sid: Option<AccountSid>,
    credentials: Option<Credentials>,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            account_sid: None,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
            user_agent: concat!("storyline-core/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientBuilder {
    /// Where the API lives; default [`DEFAULT_BASE_URL`]. `http://` is accepted (sandbox, tests),
    /// and so is a path prefix (`http://127.0.0.1:8000/twilio`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The account whose resources are used; it is in every path. Required.
    pub fn account_sid(mut self, sid: AccountSid) -> Self {
        self.account_sid = Some(sid);
        self
    }

    /// Authenticate as the account with its auth token.
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::AuthToken(Secret(token.into())));
        self
    }

    /// Authenticate with an API key (`SK…`) and its secret instead of the auth token.
    pub fn api_key(mut self, key_sid: impl Into<String>, secret: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::ApiKey {
            sid: key_sid.into(),
            secret: Secret(secret.into()),
        });
        self
    }

    /// How long one attempt may take, connecting and reading the answer included (default 30 s).
    /// For media downloads it bounds the wait for the headers and then for each chunk.
    pub fn timeout(mut self, per_attempt: Duration) -> Self {
        self.timeout = per_attempt;
        self
    }

    /// The `User-Agent` header (default `storyline-core/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Attempts per request, the first included (default 3; 1 turns retries off).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts;
        self
    }

    /// The wait before the first retry, doubled on each retry up to `max` (defaults 500 ms, 8 s).
    /// The actual wait is between half and all of it, at random.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// Fails with [`Error::Config`] without an account SID or credentials, with a malformed API
    /// key SID, a base URL that is not absolute `http(s)`, a user agent that is not a header
    /// value, or zero attempts.
    pub fn build(self) -> Result<Client, Error> {
        let config = |reason: &str| Error::Config {
            reason: reason.to_owned(),
        };
        let account_sid = self.account_sid.ok_or_else(|| config("an account sid is required"))?;
        let (user, password) = match self.credentials {
            None => return Err(config("an auth token or an api key is required")),
            Some(Credentials::AuthToken(token)) => (account_sid.to_string(), token),
            Some(Credentials::ApiKey { sid, secret }) => {
                let valid = sid.len() == 34 && sid.starts_with("SK") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
                if !valid {
                    return Err(config("an api key sid is SK followed by 32 hexadecimal digits"));
                }
                (sid, secret)
            }
        };
        if password.0.is_empty() {
            return Err(config("the auth token or api key secret is empty"));
        }
        if self.retry.max_attempts == 0 {
            return Err(config("max_attempts must be at least 1"));
        }
        if self.timeout.is_zero() {
            return Err(config("the timeout must be longer than zero"));
        }
        let (base_url, origin) = parse_base_url(&self.base_url)?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| config("the user agent is not a valid header value"))?;

        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.0));
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| config("credentials cannot be sent in a header"))?;
        authorization.set_sensitive(true);

        // An explicit provider, so the client works whatever else installed (or did not install)
        // a process-wide rustls default.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| Error::Config {
                reason: format!("tls setup failed: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                origin,
                account_sid,
                authorization,
                user_agent,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }
}

/// Scheme, host and port, to tell whether a URL may receive our credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    pub(super) fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        Some(Origin {
            host: uri.host()?.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(default_port),
            scheme,
        })
    }
}

fn parse_base_url(raw: &str) -> Result<(String, Origin), Error> {
    let invalid = || Error::Config {
        reason: format!("the base url {raw:?} is not an absolute http or https url"),
    };
    let uri: Uri = raw.parse().map_err(|_| invalid())?;
    let origin = Origin::of(&uri).ok_or_else(invalid)?;
    if uri.query().is_some() {
        return Err(invalid());
    }
    let authority = uri.authority().ok_or_else(invalid)?;
    let path = uri.path().trim_end_matches('/');
    Ok((format!("{}://{authority}{path}", origin.scheme), origin))
}
