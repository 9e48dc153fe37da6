//! What only Twilio knows: signatures, and the sandbox's records of calls and recordings.

use reqwest::StatusCode;
use serde_json::Value;
use storyline_core::signature::{Algorithm, sign};
use storyline_core::{AuthToken, CallSid};
use storyline_sandbox::Sandbox;

use crate::Http;

/// The signature Twilio would send for this form posted to `url`.
pub fn twilio_signature(token: &AuthToken, url: &str, form: &[(String, String)]) -> String {
    sign(token, Algorithm::HmacSha1, url, form)
}

/// Form pairs from literal names and values.
pub fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The recordings a sandbox made during a call, from its REST API (as Twilio's `Recordings.json` lists them).
pub async fn sandbox_recordings(sandbox: &Sandbox, call_sid: &CallSid) -> Vec<Value> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Calls/{call_sid}/Recordings.json",
        sandbox.base_url, sandbox.account_sid
    );
    let res = Http::new(&sandbox.base_url)
        .client
        .get(&url)
        .basic_auth(sandbox.account_sid.as_str(), Some(sandbox.auth_token.expose_secret()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(res.status(), StatusCode::OK, "GET {url}");
    let page: Value = res.json().await.expect("a JSON page of recordings");
    page["recordings"].as_array().cloned().unwrap_or_default()
}
