//! What only Twilio (or the server's own storage) knows: signatures, call and recording SIDs, the sandbox's records.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;
use storyline_core::signature::{Algorithm, sign};
use storyline_core::{AuthToken, CallSid};
use storyline_rocket::sandbox::Sandbox;

use super::Http;

/// The signature Twilio would send for this form posted to `url`.
pub fn twilio_signature(token: &AuthToken, url: &str, form: &[(String, String)]) -> String {
    sign(token, Algorithm::HmacSha1, url, form)
}

/// Form pairs from literal names and values.
pub fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The call SID the server stored for a recording (read from its database, which SQLite lets two processes share).
pub async fn call_sid_of(data_dir: &Path, id: &str) -> CallSid {
    let pool = storyline_rocket::db::open(data_dir).await.expect("open the database");
    let row = storyline_rocket::db::get(&pool, id)
        .await
        .expect("read the recording")
        .unwrap_or_else(|| panic!("recording {id} is stored"));
    pool.close().await;
    row.call_sid
        .unwrap_or_else(|| panic!("recording {id} has a call"))
        .parse()
        .expect("a stored call SID is well formed")
}

/// The status the server's database holds for a recording, read while the server is down.
pub async fn stored_status(data_dir: &Path, id: &str) -> String {
    let pool = storyline_rocket::db::open(data_dir).await.expect("open the database");
    let row = storyline_rocket::db::get(&pool, id)
        .await
        .expect("read the recording")
        .unwrap_or_else(|| panic!("recording {id} is stored"));
    pool.close().await;
    row.status
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

/// What the server's database says about a recording and its background work, for a failure message.
pub async fn stored_story(data_dir: &Path, id: &str) -> String {
    let pool = storyline_rocket::db::open(data_dir).await.expect("open the database");
    let mut out = match storyline_rocket::db::get(&pool, id).await {
        Ok(Some(row)) => format!("status {}, state {}\n", row.status, row.state),
        other => format!("no recording: {other:?}\n"),
    };
    let jobs = sqlx::query_as::<_, (String, String, i64, i64, i64, Option<String>)>(
        "SELECT kind, payload, attempts, done, run_at, last_error FROM jobs WHERE recording_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await;
    match jobs {
        Ok(jobs) => {
            let now = storyline_rocket::db::now_ms();
            for (kind, payload, attempts, done, run_at, error) in jobs {
                out.push_str(&format!(
                    "job {kind} {payload}: attempts {attempts}, done {done}, due in {} ms, last error {error:?}\n",
                    run_at - now
                ));
            }
        }
        Err(e) => out.push_str(&format!("jobs unreadable: {e}\n")),
    }
    pool.close().await;
    out
}
