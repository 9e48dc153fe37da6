//! Contract tests: the client's requests against Prism serving Twilio's OpenAPI description.
//!
//! Prism validates each request (path, sid patterns, required fields, types, enums, formats,
//! Basic auth) and answers 422 (or 401) when it breaks the contract. The spec is
//! `shared/twilio/twilio_api_v2010.prism.json`, beside the repository.
//!
//! Prism is found through `STORYLINE_PRISM` (a path to the binary) or as `prism` on `PATH`
//! (`npm install -g @stoplight/prism-cli@5`). Without it these tests print a skip message and
//! pass, unless `STORYLINE_REQUIRE_PRISM=1` (CI sets it), where they fail.
#![cfg(feature = "client")]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use storyline_core::client::{
    CallEvent, CallbackMethod, Client, Error, MachineDetection, RecordingChannels, RecordingEvent, RecordingStatus,
    Trim,
};
use storyline_core::{AccountSid, CallSid, RecordingSid};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/twilio/twilio_api_v2010.prism.json"
);
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const CALL: &str = "CA5ef8732a3c49700934481addd5ce1659";
const RECORDING: &str = "RE557ce644e5ab84fa21cc21112e22c485";
const STARTUP: Duration = Duration::from_secs(120);

/// A Prism mock server, killed when dropped.
struct Prism {
    child: Child,
    url: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_prism() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STORYLINE_PRISM") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("prism"))
        .find(|p| p.is_file())
}

/// Starts Prism, or returns `None` (after saying so) when it may be skipped.
fn start_prism() -> Option<Prism> {
    let required = std::env::var("STORYLINE_REQUIRE_PRISM").as_deref() == Ok("1");
    let missing = if !Path::new(SPEC).is_file() {
        Some(format!("the spec {SPEC} is missing"))
    } else if find_prism().is_none() {
        Some("prism was not found (set STORYLINE_PRISM or put `prism` on PATH)".to_owned())
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(!required, "STORYLINE_REQUIRE_PRISM=1 but {why}");
        eprintln!("SKIPPED: Prism contract test: {why}; install with `npm install -g @stoplight/prism-cli@5`");
        return None;
    }
    let binary = find_prism().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Prism logs a line per operation at startup: a file, not a pipe nobody drains.
    let log = std::env::temp_dir().join(format!("storyline-prism-{port}.log"));
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(&binary)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string(), SPEC])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut prism = Prism {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(prism);
        }
        let exited = prism.child.try_wait().unwrap();
        if exited.is_some() || started.elapsed() > STARTUP {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = output.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            panic!("prism did not start ({exited:?}); last lines, newest first:\n{tail}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn client(prism: &Prism) -> Client {
    Client::builder()
        .base_url(&prism.url)
        .account_sid(ACCOUNT.parse::<AccountSid>().unwrap())
        .auth_token("prism-does-not-check-the-token")
        .max_attempts(1)
        .build()
        .unwrap()
}

fn full_create_call(client: &Client) -> storyline_core::client::CreateCall {
    client
        .create_call("+15558675310", "+15017122661")
        .url("https://example.com/twiml/start")
        .method(CallbackMethod::Post)
        .fallback_url("https://example.com/twiml/fallback")
        .fallback_method(CallbackMethod::Get)
        .status_callback("https://example.com/status")
        .status_callback_events([
            CallEvent::Initiated,
            CallEvent::Ringing,
            CallEvent::Answered,
            CallEvent::Completed,
        ])
        .status_callback_method(CallbackMethod::Post)
        .timeout(Duration::from_secs(30))
        .time_limit(Duration::from_secs(3600))
        .machine_detection(MachineDetection::DetectMessageEnd)
        .machine_detection_timeout(Duration::from_secs(30))
        .async_amd(true)
        .async_amd_status_callback("https://example.com/amd")
        .async_amd_status_callback_method(CallbackMethod::Post)
        .record(true)
        .recording_channels(RecordingChannels::Mono)
        .recording_status_callback("https://example.com/recording-status")
        .recording_status_callback_events([
            RecordingEvent::InProgress,
            RecordingEvent::Completed,
            RecordingEvent::Absent,
        ])
        .recording_status_callback_method(CallbackMethod::Post)
        .trim(Trim::TrimSilence)
}

#[tokio::test]
async fn client_requests_satisfy_the_twilio_contract() {
    let Some(prism) = start_prism() else { return };
    let client = client(&prism);
    let call_sid: CallSid = CALL.parse().unwrap();
    let recording_sid: RecordingSid = RECORDING.parse().unwrap();

    let call = full_create_call(&client).send().await.unwrap();
    assert!(call.sid.is_some());

    let twiml_call = client
        .create_call("+15558675310", "+15017122661")
        .twiml("<Response><Say>Hello</Say></Response>")
        .send()
        .await
        .unwrap();
    assert!(twiml_call.sid.is_some());

    let fetched = client.fetch_call(&call_sid).send().await.unwrap();
    assert!(fetched.sid.is_some());

    let recording = client.fetch_recording(&recording_sid).send().await.unwrap();
    assert_eq!(recording.status, Some(RecordingStatus::Completed));
    assert!(recording.duration_secs().is_some());

    let page = client.list_recordings(&call_sid).page_size(20).send().await.unwrap();
    assert!(!page.recordings.is_empty());

    client.delete_recording(&recording_sid).send().await.unwrap();

    let with_key = Client::builder()
        .base_url(&prism.url)
        .account_sid(ACCOUNT.parse::<AccountSid>().unwrap())
        .api_key("SK0123456789abcdef0123456789abcdef", "secret")
        .build()
        .unwrap();
    with_key.fetch_call(&call_sid).send().await.unwrap();
}

/// Sends a request as given, bypassing the client, and returns the status and body.
async fn send_raw(request: http::Request<Bytes>) -> (u16, String) {
    let raw = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let (parts, body) = request.into_parts();
    let response = raw
        .request(http::Request::from_parts(parts, Full::new(body)))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn prism_rejects_requests_that_break_the_contract() {
    let Some(prism) = start_prism() else { return };
    let client = client(&prism);

    // The client's own request passes as built...
    let good = full_create_call(&client).build_request().unwrap();
    let (status, body) = send_raw(good).await;
    assert_eq!(status, 201, "{body}");

    // ...and fails once a required field is renamed and a number is not a number.
    let bad = full_create_call(&client).build_request().unwrap();
    let (parts, form) = bad.into_parts();
    let form = String::from_utf8(form.to_vec()).unwrap();
    assert!(form.contains("&From=") && form.contains("&Timeout=30"));
    let form = form
        .replace("&From=", "&Form=")
        .replace("&Timeout=30", "&Timeout=thirty");
    let (status, body) = send_raw(http::Request::from_parts(parts, Bytes::from(form))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("'From'"), "{body}");
    assert!(body.contains("Timeout"), "{body}");

    // A request without credentials is refused.
    let mut anonymous = client.fetch_call(&CALL.parse().unwrap()).build_request().unwrap();
    anonymous.headers_mut().remove(http::header::AUTHORIZATION);
    let (status, body) = send_raw(anonymous).await;
    assert_eq!(status, 401, "{body}");

    // Through the client, a value of the wrong format comes back as an api error.
    let err = client
        .create_call("+15558675310", "+15017122661")
        .url("not a uri")
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 422);
            assert!(!api.message.is_empty());
        }
        other => panic!("expected a 422 api error, got {other:?}"),
    }
}
