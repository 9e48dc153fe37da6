//! Retries, timeouts and transport failures against a local HTTP server.
//!
//! The rule under test: repeat a request only when repeating it cannot place a second call.
#![cfg(feature = "client")]

mod client_support;

use std::time::{Duration, Instant};

use client_support::*;
use storyline_core::CallSid;
use storyline_core::client::{CallStatus, Client, Error, TransportErrorKind};

fn call_sid() -> CallSid {
    CALL.parse().unwrap()
}

fn create(client: &Client) -> storyline_core::client::CreateCall {
    client
        .create_call("+15558675310", "+15017122661")
        .url("https://example.com/twiml")
}

#[tokio::test]
async fn get_is_retried_after_500_and_succeeds() {
    let server = TestServer::start([
        Reply::json(
            500,
            r#"{"code": 20500, "message": "Internal Server Error", "status": 500}"#,
        ),
        Reply::fixture(200, "call_completed.json"),
    ])
    .await;
    let call = client_for(&server).fetch_call(&call_sid()).send().await.unwrap();
    assert_eq!(call.status, Some(CallStatus::Completed));
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].path, received[1].path);
}

#[tokio::test]
async fn create_call_is_not_retried_after_500() {
    let server = TestServer::start([
        Reply::json(
            500,
            r#"{"code": 20500, "message": "Internal Server Error", "status": 500}"#,
        ),
        Reply::fixture(201, "call_created.json"),
    ])
    .await;
    let err = create(&client_for(&server)).send().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some(20500));
    assert_eq!(
        server.received().len(),
        1,
        "a second POST could ring the storyteller twice"
    );
}

#[tokio::test]
async fn create_call_is_retried_after_429_and_succeeds() {
    let server = TestServer::start([
        Reply::fixture(429, "error_20429.json"),
        Reply::fixture(201, "call_created.json"),
    ])
    .await;
    let call = create(&client_for(&server)).send().await.unwrap();
    assert_eq!(call.status, Some(CallStatus::Queued));
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body, "the same form is sent again");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = TestServer::start([
        Reply::fixture(429, "error_20429.json").header("retry-after", "1"),
        Reply::fixture(200, "call_completed.json"),
    ])
    .await;
    let started = Instant::now();
    client_for(&server).fetch_call(&call_sid()).send().await.unwrap();
    // The client's own backoff is 1-5 ms: only Retry-After explains a wait of a second.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let server = TestServer::start([
        Reply::fixture(429, "error_20429.json"),
        Reply::fixture(429, "error_20429.json"),
        Reply::fixture(429, "error_20429.json"),
        Reply::fixture(200, "call_completed.json"),
    ])
    .await;
    let client = builder_for(&server).max_attempts(3).build().unwrap();
    let err = client.fetch_call(&call_sid()).send().await.unwrap_err();
    assert_eq!(err.code(), Some(20429));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_and_reads_are_retried() {
    let server = TestServer::start([Reply::hang(), Reply::hang()]).await;
    let client = builder_for(&server)
        .timeout(Duration::from_millis(200))
        .max_attempts(2)
        .build()
        .unwrap();
    let err = client.fetch_call(&call_sid()).send().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_millis(200)),
        "{err:?}"
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn create_call_is_not_retried_after_a_timeout() {
    let server = TestServer::start([Reply::hang(), Reply::fixture(201, "call_created.json")]).await;
    let client = builder_for(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = create(&client).send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Give a wrongly retried request time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_a_connect_transport_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .account_sid(ACCOUNT.parse().unwrap())
        .auth_token(TOKEN)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    let err = create(&client).send().await.unwrap_err();
    match &err {
        Error::Transport { kind, .. } => assert_eq!(*kind, TransportErrorKind::Connect),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(std::error::Error::source(&err).is_some(), "the cause is chained");
    assert_eq!(err.status(), None);
}
