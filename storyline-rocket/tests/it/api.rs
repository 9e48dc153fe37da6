//! The API for host services: bearer key, JSON errors, creating a story (with and without `Idempotency-Key`),
//! fetching it until it is told.

use reqwest::StatusCode;
use serde_json::{Value, json};
use storyline_testkit::http::header;
use storyline_testkit::{Config, Http, Server, within};

const KEY: &str = "sk_test_0123456789abcdef";

async fn server(dir: &std::path::Path) -> Server {
    Server::start(Config::embedded(dir).with("storyline.api_key", KEY)).await
}

async fn create(http: &Http, key: Option<&str>, idempotency: Option<&str>, body: &str) -> (StatusCode, Value, String) {
    let mut req = http
        .client
        .post(http.url("/api/v1/stories"))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(k) = idempotency {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.expect("POST /api/v1/stories");
    let status = res.status();
    let replayed = header(&res, "Idempotent-Replayed");
    let json = res.json().await.expect("the API answers JSON");
    (status, json, replayed)
}

async fn fetch(http: &Http, id: &str) -> (StatusCode, Value) {
    let res = http
        .client
        .get(http.url(&format!("/api/v1/stories/{id}")))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("GET a story");
    (res.status(), res.json().await.expect("JSON"))
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error body: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_setting_the_api_does_not_exist() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path())).await;
        let http = server.http();
        let (status, body, _) = create(&http, Some(KEY), None, r#"{"phone":"201-555-0100"}"#).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(error_code(&body), "not_found");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_key_is_refused_and_places_nothing() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = server(dir.path()).await;
        let http = server.http();
        for key in [None, Some("sk_test_wrong"), Some(""), Some(&KEY[..KEY.len() - 1])] {
            let (status, body, _) = create(&http, key, None, r#"{"phone":"201-555-0100"}"#).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}: {body}");
            assert_eq!(error_code(&body), "unauthorized");
        }
        let res = http
            .client
            .get(http.url("/api/v1/stories/AAAAAAAAAAAAAAAAAAAAAA"))
            .bearer_auth("sk_test_wrong")
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(storyline_testkit::db::recordings_count(dir.path()).await, 0);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_right_status_and_the_forms_words() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = server(dir.path()).await;
        let http = server.http();
        for (body, status, code) in [
            ("not json", StatusCode::BAD_REQUEST, "invalid_json"),
            ("[1, 2]", StatusCode::BAD_REQUEST, "invalid_json"),
            (
                r#"{"prompt":"What was your first job?"}"#,
                StatusCode::BAD_REQUEST,
                "missing_phone",
            ),
            (r#"{"phone":"   "}"#, StatusCode::BAD_REQUEST, "missing_phone"),
            (r#"{"phone":"12"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone"),
            (
                r#"{"phone":"1-900-555-0123"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "number_not_allowed",
            ),
            (
                r#"{"phone":"+44 20 7946 0018"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "number_not_allowed",
            ),
        ] {
            let (got, answer, _) = create(&http, Some(KEY), None, body).await;
            assert_eq!((got, error_code(&answer)), (status, code), "{body}: {answer}");
            assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let long = json!({"phone": "201-555-0100", "prompt": "x".repeat(501)}).to_string();
        let (got, answer, _) = create(&http, Some(KEY), None, &long).await;
        assert_eq!((got, error_code(&answer)), (StatusCode::BAD_REQUEST, "invalid_prompt"));
        // The same words the form shows for the same number.
        for typed in ["12", "1-900-555-0123"] {
            let (_, answer, _) = create(&http, Some(KEY), None, &json!({ "phone": typed }).to_string()).await;
            let message = answer["error"]["message"].as_str().expect("a message");
            let page = http
                .client
                .post(http.url("/"))
                .form(&[("tel", typed)])
                .send()
                .await
                .expect("the form")
                .text()
                .await
                .expect("a page");
            assert!(
                page.contains(&storyline_testkit::http::html_escape(message)),
                "the form says {message:?} too"
            );
        }
        assert_eq!(
            storyline_testkit::db::recordings_count(dir.path()).await,
            0,
            "nothing was placed"
        );
        let (status, body) = fetch(&http, "AAAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
        let (status, body) = fetch(&http, "not-an-id").await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_created_through_the_api_is_placed_like_the_forms_and_fetched_until_it_is_told() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = server(dir.path()).await;
        let http = server.http();
        let body = json!({
            "phone": "(201) 555-0100",
            "prompt": "What was your first job?",
            "reference": "storyteller-42/week-7",
        })
        .to_string();
        let (status, story, replayed) = create(&http, Some(KEY), None, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{story}");
        assert_eq!(replayed, "");
        let id = story["id"].as_str().expect("an id").to_owned();
        for field in [
            "id",
            "status",
            "reference",
            "prompt",
            "page_url",
            "audio_url",
            "duration_secs",
            "recorded_at",
            "created_at",
        ] {
            assert!(story.get(field).is_some(), "{field} is in {story}");
        }
        assert_eq!(story["reference"], "storyteller-42/week-7");
        assert_eq!(story["prompt"], "What was your first job?");
        assert_eq!(story["page_url"], format!("{}/recording/{id}", server.base));
        assert_eq!(story["audio_url"], Value::Null);
        assert_eq!(story["recorded_at"], Value::Null);
        // The page a host links the storyteller to is the form's page.
        assert_eq!(http.get(&format!("/recording/{id}")).await.status(), StatusCode::OK);

        let done = http.wait_for(&id, "complete", |j| j["status"] == "complete").await;
        let (status, story) = fetch(&http, &id).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(story["status"], "complete");
        assert_eq!(story["audio_url"], format!("{}/recording/{id}/audio", server.base));
        assert_eq!(story["duration_secs"], done["duration_secs"]);
        assert!(
            story["recorded_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{story}"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_returns_the_first_answer_and_places_no_second_call() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = server(dir.path()).await;
        let http = server.http();
        let body = r#"{"phone":"201-555-0101","reference":"r-1"}"#;
        let (first_status, first, _) = create(&http, Some(KEY), Some("key-1"), body).await;
        assert_eq!(first_status, StatusCode::CREATED, "{first}");
        let (again_status, again, replayed) = create(&http, Some(KEY), Some("key-1"), body).await;
        assert_eq!(again_status, StatusCode::CREATED);
        assert_eq!(replayed, "true");
        assert_eq!(again, first, "the first answer, as it was");
        assert_eq!(
            storyline_testkit::db::recordings_count(dir.path()).await,
            1,
            "one call placed"
        );

        // The same key with another request is a mistake the host must hear of.
        let (status, answer, _) = create(&http, Some(KEY), Some("key-1"), r#"{"phone":"201-555-0102"}"#).await;
        assert_eq!(
            (status, error_code(&answer)),
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
        );
        // Without a key, or with another, each request is a new story.
        let (status, other, _) = create(&http, Some(KEY), Some("key-2"), body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_ne!(other["id"], first["id"]);
        let (status, third, _) = create(&http, Some(KEY), None, body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_ne!(third["id"], other["id"]);
        assert_eq!(storyline_testkit::db::recordings_count(dir.path()).await, 3);

        // A refusal is an answer too: the same key gives it again without asking Twilio.
        let (status, refused, _) = create(&http, Some(KEY), Some("key-3"), r#"{"phone":"12"}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, again, replayed) = create(&http, Some(KEY), Some("key-3"), r#"{"phone":"12"}"#).await;
        assert_eq!((status, replayed.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "true"));
        assert_eq!(again, refused);
        server.stop().await;
    })
    .await;
}

/// Holds an `Idempotency-Key` in the server's database as a request would that is answering it (or that died doing
/// so, if the claim is old), with the story it created, if it got that far.
async fn hold_key(dir: &std::path::Path, key: &str, body: &Value, age_ms: i64, recording: Option<&str>) {
    let pool = storyline_testkit::db::open(dir).await;
    let request = json!({"phone": body["phone"], "prompt": body["prompt"], "reference": body["reference"]}).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64;
    sqlx::query("INSERT INTO storyline_idempotency_keys (key, request, created_at, recording_id) VALUES (?, ?, ?, ?)")
        .bind(key)
        .bind(request)
        .bind(now - age_ms)
        .bind(recording)
        .execute(&pool)
        .await
        .expect("hold the key");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_request_died_answers_with_its_story_or_lets_the_retry_through() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = server(dir.path()).await;
        let http = server.http();
        let body = json!({"phone": "201-555-0101", "reference": "r-crash"});

        // A request is answering this key right now: the retry must wait.
        hold_key(dir.path(), "busy-key", &body, 1_000, None).await;
        let (status, answer, _) = create(&http, Some(KEY), Some("busy-key"), &body.to_string()).await;
        assert_eq!(
            (status, error_code(&answer)),
            (StatusCode::CONFLICT, "idempotency_key_in_use")
        );

        // A server died after creating the story and before answering: the retry gets that story, and no new call.
        let (_, first, _) = create(&http, Some(KEY), None, &body.to_string()).await;
        let id = first["id"].as_str().expect("an id");
        hold_key(dir.path(), "died-key", &body, 10 * 60 * 1000, Some(id)).await;
        let (status, again, replayed) = create(&http, Some(KEY), Some("died-key"), &body.to_string()).await;
        assert_eq!((status, replayed.as_str()), (StatusCode::CREATED, "true"));
        assert_eq!(again["id"], id);
        assert_eq!(storyline_testkit::db::recordings_count(dir.path()).await, 1);

        // A server died before creating anything: the retry places the call.
        hold_key(dir.path(), "early-key", &body, 10 * 60 * 1000, None).await;
        let (status, placed, replayed) = create(&http, Some(KEY), Some("early-key"), &body.to_string()).await;
        assert_eq!((status, replayed.as_str()), (StatusCode::CREATED, ""));
        assert_ne!(placed["id"], id);
        assert_eq!(storyline_testkit::db::recordings_count(dir.path()).await, 2);
        server.stop().await;
    })
    .await;
}
