//! The client against a local HTTP server: what it sends, and how it reads each answer.
#![cfg(feature = "client")]

mod client_support;

use std::time::Duration;

use client_support::*;
use storyline_core::client::{
    CallDirection, CallEvent, CallStatus, Client, Error, MachineDetection, RecordingEvent, RecordingSource,
    RecordingStatus,
};
use storyline_core::{AccountSid, CallSid, RecordingSid};

fn call_sid() -> CallSid {
    CALL.parse().unwrap()
}

fn recording_sid() -> RecordingSid {
    RECORDING.parse().unwrap()
}

fn assert_api_headers(r: &Received) {
    assert_eq!(r.header("authorization"), Some(basic(ACCOUNT, TOKEN).as_str()));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().starts_with("storyline-core/"));
}

#[tokio::test]
async fn create_call_posts_the_form_and_reads_the_201_call() {
    let server = TestServer::start([Reply::fixture(201, "call_created.json")]).await;
    let call = client_for(&server)
        .create_call("+15558675310", "+15017122661")
        .url("https://example.com/twiml")
        .status_callback("https://example.com/status")
        .status_callback_events([CallEvent::Initiated, CallEvent::Answered])
        .timeout(Duration::from_secs(20))
        .record(true)
        .machine_detection(MachineDetection::Enable)
        .async_amd(false)
        .recording_status_callback_events([RecordingEvent::Completed, RecordingEvent::Absent])
        .send()
        .await
        .unwrap();

    assert_eq!(call.sid, Some(call_sid()));
    assert_eq!(call.status, Some(CallStatus::Queued));
    assert_eq!(call.direction, Some(CallDirection::OutboundApi));
    assert_eq!(call.duration, None);
    assert_eq!(call.to.as_deref(), Some("+15558675310"));

    let received = server.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, account_path("Calls.json"));
    assert_api_headers(r);
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        r.form(),
        vec![
            pair("To", "+15558675310"),
            pair("From", "+15017122661"),
            pair("Url", "https://example.com/twiml"),
            pair("StatusCallback", "https://example.com/status"),
            pair("StatusCallbackEvent", "initiated"),
            pair("StatusCallbackEvent", "answered"),
            pair("Timeout", "20"),
            pair("MachineDetection", "Enable"),
            pair("AsyncAmd", "false"),
            pair("Record", "true"),
            pair("RecordingStatusCallbackEvent", "completed"),
            pair("RecordingStatusCallbackEvent", "absent"),
        ]
    );
}

#[tokio::test]
async fn fetch_call_reads_the_200_call_and_its_string_duration() {
    let server = TestServer::start([Reply::fixture(200, "call_completed.json")]).await;
    let call = client_for(&server).fetch_call(&call_sid()).send().await.unwrap();
    assert_eq!(call.status, Some(CallStatus::Completed));
    assert_eq!(call.duration.as_deref(), Some("163"));
    assert_eq!(call.duration_secs(), Some(163));
    assert_eq!(call.answered_by.as_deref(), Some("human"));

    let r = &server.received()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, account_path(&format!("Calls/{CALL}.json")));
    assert_api_headers(r);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
}

#[tokio::test]
async fn fetch_and_list_recordings() {
    let server = TestServer::start([
        Reply::fixture(200, "recording.json"),
        Reply::fixture(200, "recording_list.json"),
    ])
    .await;
    let client = client_for(&server);
    let rec = client.fetch_recording(&recording_sid()).send().await.unwrap();
    assert_eq!(rec.sid, Some(recording_sid()));
    assert_eq!(rec.call_sid, Some(call_sid()));
    assert_eq!(rec.status, Some(RecordingStatus::Completed));
    assert_eq!(rec.source, Some(RecordingSource::RecordVerb));
    assert_eq!(rec.duration_secs(), Some(137));
    assert_eq!(rec.channels, Some(1));

    let page = client.list_recordings(&call_sid()).page_size(50).send().await.unwrap();
    assert_eq!(page.recordings, vec![rec]);
    assert_eq!(page.next_page_uri, None);

    let received = server.received();
    assert_eq!(received[0].path, account_path(&format!("Recordings/{RECORDING}.json")));
    assert_eq!(
        received[1].path,
        account_path(&format!("Recordings.json?CallSid={CALL}&PageSize=50"))
    );
    for r in &received {
        assert_eq!(r.method, "GET");
        assert_api_headers(r);
    }
}

#[tokio::test]
async fn delete_recording_accepts_204_without_parsing_the_empty_body() {
    let server = TestServer::start([Reply::empty(204)]).await;
    client_for(&server)
        .delete_recording(&recording_sid())
        .send()
        .await
        .unwrap();
    let r = &server.received()[0];
    assert_eq!(r.method, "DELETE");
    assert_eq!(r.path, account_path(&format!("Recordings/{RECORDING}.json")));
    assert_api_headers(r);
}

#[tokio::test]
async fn invalid_to_number_keeps_twilio_code_message_and_more_info() {
    let server = TestServer::start([Reply::fixture(400, "error_21211.json")]).await;
    let err = client_for(&server)
        .create_call("+1555", "+15017122661")
        .url("https://example.com/twiml")
        .send()
        .await
        .unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status, 400);
    assert_eq!(api.code, Some(21211));
    assert_eq!(api.message, "The 'To' number +1555 is not a valid phone number.");
    assert_eq!(
        api.more_info.as_deref(),
        Some("https://www.twilio.com/docs/errors/21211")
    );
    assert_eq!(err.code(), Some(21211));
    assert_eq!(server.received().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn bad_credentials_are_error_20003_and_not_retried() {
    let server = TestServer::start([Reply::fixture(401, "error_20003.json")]).await;
    let err = client_for(&server).fetch_call(&call_sid()).send().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some(20003));
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn missing_recording_is_a_404_api_error() {
    let server = TestServer::start([
        Reply::fixture(404, "error_20404.json"),
        Reply::fixture(404, "error_20404.json"),
    ])
    .await;
    let client = client_for(&server);
    for err in [
        client.fetch_recording(&recording_sid()).send().await.unwrap_err(),
        client
            .delete_recording(&recording_sid())
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.code(), Some(20404));
    }
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn html_502_page_is_not_json_with_status_kept() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = TestServer::start([Reply::text(502, "text/html", page)]).await;
    let client = builder_for(&server).max_attempts(1).build().unwrap();
    let err = client.fetch_call(&call_sid()).send().await.unwrap_err();
    match err {
        Error::NotJson {
            status,
            content_type,
            snippet,
        } => {
            assert_eq!(status, 502);
            assert_eq!(content_type.as_deref(), Some("text/html"));
            assert_eq!(snippet, page);
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
}

#[tokio::test]
async fn success_body_of_the_wrong_shape_is_a_decode_error() {
    let server = TestServer::start([Reply::json(200, r#"{"sid": "not-a-call-sid"}"#)]).await;
    let err = client_for(&server).fetch_call(&call_sid()).send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn api_key_authenticates_as_the_key_with_the_account_in_the_path() {
    let key = "SK0123456789abcdef0123456789abcdef";
    let server = TestServer::start([Reply::fixture(200, "call_completed.json")]).await;
    let client = Client::builder()
        .base_url(format!("{}/", server.url))
        .account_sid(ACCOUNT.parse::<AccountSid>().unwrap())
        .api_key(key, "key-secret")
        .build()
        .unwrap();
    client.fetch_call(&call_sid()).send().await.unwrap();
    let r = &server.received()[0];
    assert_eq!(r.header("authorization"), Some(basic(key, "key-secret").as_str()));
    assert_eq!(r.path, account_path(&format!("Calls/{CALL}.json")));
}

#[tokio::test]
async fn custom_user_agent_is_sent() {
    let server = TestServer::start([Reply::empty(204)]).await;
    let client = builder_for(&server).user_agent("storyteller-app/2.1").build().unwrap();
    client.delete_recording(&recording_sid()).send().await.unwrap();
    assert_eq!(server.received()[0].header("user-agent"), Some("storyteller-app/2.1"));
}
