//! A browser (and Twilio) over real HTTP: the form, the status JSON, pages, and signed webhook posts.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::Value;

use crate::server::{POLL_EVERY, STATUS_DEADLINE};
use crate::wait::Waiter;

/// A browser (or Twilio) talking to a server: plain HTTP, redirects not followed.
#[derive(Clone)]
pub struct Http {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where Storyline is mounted: empty at the root, `/stories` inside a host.
    pub mount: String,
    /// A client that keeps no cookies and follows no redirects.
    pub client: reqwest::Client,
}

impl Http {
    /// A client for the server at `base`.
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client");
        Self {
            base: base.to_owned(),
            mount: String::new(),
            client,
        }
    }

    /// A client for a Storyline mounted at `mount` inside a host at `base`: paths are Storyline's own.
    pub fn mounted(base: &str, mount: &str) -> Self {
        Self {
            mount: mount.trim_end_matches('/').to_owned(),
            ..Self::new(base)
        }
    }

    /// A URL of Storyline's: `/` is the landing page, wherever Storyline is mounted.
    pub fn url(&self, path: &str) -> String {
        if path == "/" && !self.mount.is_empty() {
            format!("{}{}", self.base, self.mount)
        } else {
            format!("{}{}{path}", self.base, self.mount)
        }
    }

    /// A URL for a link as the pages and the status JSON give it (a path from the host's root).
    pub fn href(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET` a path, failing the test if the request cannot be made.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Posts one of Storyline's forms as a browser does (with its `Origin`), and returns the answer.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Presses "Call me again" on a recording's page, and returns the answer.
    pub async fn call_again(&self, id: &str) -> reqwest::Response {
        self.post_form(&format!("/recording/{id}/retry"), &[]).await
    }

    /// Submits the landing page's form as a person would, and returns the new recording's id.
    pub async fn start_call(&self, typed: &str) -> String {
        let res = self.post_form("/", &[("tel", typed)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST / with {typed}");
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let id = location
            .strip_prefix(&format!("{}/recording/", self.mount))
            .unwrap_or_else(|| panic!("POST / with {typed} redirected to {location:?}"));
        assert!(
            id.parse::<storyline_core::RecordingId>().is_ok(),
            "{location:?} names a well-formed recording id"
        );
        id.to_owned()
    }

    /// `GET /recording/:id/status`: the HTTP status and the JSON.
    pub async fn status(&self, id: &str) -> (StatusCode, Value) {
        let res = self.get(&format!("/recording/{id}/status")).await;
        let code = res.status();
        let content_type = header(&res, CONTENT_TYPE);
        assert!(
            content_type.starts_with("application/json"),
            "status of {id} is JSON, not {content_type:?}"
        );
        let json = res.json().await.unwrap_or_else(|e| panic!("status of {id}: {e}"));
        (code, json)
    }

    /// Polls the status until `done` says so; fails with every status seen if it does not happen in time.
    pub async fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        self.try_wait_for(id, done)
            .await
            .unwrap_or_else(|seen| panic!("recording {id} never reached {what}; statuses seen: {seen:?}"))
    }

    /// Polls the status until `done` says so, or gives up with every status seen.
    pub async fn try_wait_for(&self, id: &str, done: impl Fn(&Value) -> bool) -> Result<Value, Vec<String>> {
        let waiter = Waiter::new(STATUS_DEADLINE, POLL_EVERY);
        let mut seen: Vec<String> = Vec::new();
        loop {
            let (code, json) = self.status(id).await;
            assert_eq!(code, StatusCode::OK, "status of {id}: {json}");
            let status = json["status"].as_str().unwrap_or("?").to_owned();
            if seen.last() != Some(&status) {
                seen.push(status);
            }
            if done(&json) {
                return Ok(json);
            }
            if !waiter.again().await {
                return Err(seen);
            }
        }
    }

    /// Polls the status until it is an ending.
    pub async fn wait_final(&self, id: &str) -> Value {
        self.wait_for(id, "an ending", |j| j["final"] == Value::Bool(true))
            .await
    }

    /// Sends a webhook as Twilio does: a form POST, with `X-Twilio-Signature` when `signature` is given.
    pub async fn post_webhook(
        &self,
        id: &str,
        hook: &str,
        form: &[(String, String)],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(&format!("/recording/{id}/{hook}")))
            .header("User-Agent", "TwilioProxy/1.1")
            .form(form);
        if let Some(sig) = signature {
            req = req.header("X-Twilio-Signature", sig);
        }
        req.send().await.unwrap_or_else(|e| panic!("POST {hook} of {id}: {e}"))
    }
}

/// A header's value as text ("" when absent).
pub fn header(res: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Text as maud writes it into a page.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
