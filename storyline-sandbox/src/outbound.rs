//! The sandbox's outbound requests: signed form POSTs (and GETs) to the application's webhooks, as Twilio makes them.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, sign};

/// Twilio's hard limit on how long our server may take to answer a webhook.
pub(crate) const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// How many webhook latencies the sandbox remembers: the latest ones, in a ring.
pub const MAX_LATENCY_SAMPLES: usize = 10_000;

/// The latest [`MAX_LATENCY_SAMPLES`] webhook latencies.
#[derive(Debug, Default)]
pub(crate) struct Latencies(VecDeque<Duration>);

impl Latencies {
    fn push(&mut self, latency: Duration) {
        if self.0.len() == MAX_LATENCY_SAMPLES {
            self.0.pop_front();
        }
        self.0.push_back(latency);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Duration> {
        self.0.iter()
    }
}

/// A webhook URL as the sandbox logs it: where it goes, not its path or query, which can hold the application's
/// secrets (Storyline's carry a recording's id, the only key to a story).
pub(crate) fn for_logs(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}/…",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map_or(String::new(), |p| format!(":{p}"))
        ),
        Err(_) => "an unreadable URL".into(),
    }
}

/// What came back from a webhook.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
}

/// Why a webhook request got no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    #[error("the request could not be made: {0}")]
    Transport(String),
    #[error("invalid webhook url {0}")]
    Url(String),
}

/// An HTTP client for webhooks.
#[derive(Clone)]
pub(crate) struct Client {
    inner: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// How long the latest answered requests took.
    pub latencies: std::sync::Arc<std::sync::Mutex<Latencies>>,
}

impl Client {
    pub(crate) fn new() -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring provider supports the default protocol versions")
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            inner: HyperClient::builder(TokioExecutor::new()).build(connector),
            latencies: Default::default(),
        }
    }

    /// Sends a webhook the way Twilio does: `POST` with the form body, or `GET` with the parameters appended to the
    /// query string; signed with `X-Twilio-Signature`, and given up on after Twilio's 15 s.
    pub(crate) async fn send(
        &self,
        token: &AuthToken,
        method: &str,
        url: &str,
        params: &[(String, String)],
    ) -> Result<Reply, SendError> {
        self.send_within(WEBHOOK_TIMEOUT, token, method, url, params).await
    }

    /// [`Client::send`], given up on after `limit`.
    pub(crate) async fn send_within(
        &self,
        limit: Duration,
        token: &AuthToken,
        method: &str,
        url: &str,
        params: &[(String, String)],
    ) -> Result<Reply, SendError> {
        // Twilio never sends the fragment: it holds connection overrides (`#rc=2`), which are not signed either.
        let url = url.split('#').next().unwrap_or(url);
        let form = serde_urlencoded::to_string(params).map_err(|e| SendError::Transport(e.to_string()))?;
        let is_get = method.eq_ignore_ascii_case("GET");
        let (target, signature, body) = if is_get {
            let sep = if url.contains('?') { '&' } else { '?' };
            let target = if form.is_empty() {
                url.to_owned()
            } else {
                format!("{url}{sep}{form}")
            };
            let signature = sign::<&str, &str>(token, Algorithm::HmacSha1, &target, &[]);
            (target, signature, Bytes::new())
        } else {
            let signature = sign(token, Algorithm::HmacSha1, url, params);
            (url.to_owned(), signature, Bytes::from(form))
        };
        let uri: http::Uri = target.parse().map_err(|_| SendError::Url(for_logs(&target)))?;
        let mut req = http::Request::builder()
            .method(if is_get { "GET" } else { "POST" })
            .uri(uri)
            .header("X-Twilio-Signature", signature)
            .header("User-Agent", "TwilioProxy/1.1")
            .header("Accept", "*/*");
        if !is_get {
            req = req.header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
        }
        let req = req.body(Full::new(body)).map_err(|e| SendError::Url(e.to_string()))?;
        let fut = async {
            let res = self
                .inner
                .request(req)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            let status = res.status().as_u16();
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?
                .to_bytes();
            Ok(Reply {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        let started = std::time::Instant::now();
        let reply = tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| SendError::Timeout(limit))?;
        if reply.is_ok() {
            self.latencies.lock().expect("not poisoned").push(started.elapsed());
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_keep_only_the_latest_samples() {
        let mut ring = Latencies::default();
        for ms in 0..(MAX_LATENCY_SAMPLES as u64 + 5) {
            ring.push(Duration::from_millis(ms));
        }
        assert_eq!(ring.iter().count(), MAX_LATENCY_SAMPLES);
        assert_eq!(ring.iter().next(), Some(&Duration::from_millis(5)));
    }

    #[test]
    fn logged_urls_keep_the_host_and_hide_the_path_and_query() {
        let shown = for_logs("http://127.0.0.1:8000/stories/recording/d74ZgNwzgkENgBReGGyiZg/call_status?x=1");
        assert_eq!(shown, "http://127.0.0.1:8000/…");
        assert_eq!(
            for_logs("https://stories.example.org/recording/abc"),
            "https://stories.example.org/…"
        );
    }
}
