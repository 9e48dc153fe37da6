//! Secrets never reach the logs or a response: a whole story flow with a known auth token, and every way placing a
//! call can fail (Twilio refusing the credentials, a proxy answering an error page that echoes them, Twilio
//! unreachable), run with every log line captured at TRACE level. Media is never fetched with credentials from
//! anywhere but Twilio's own address.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rocket::http::{ContentType, Header, Status};
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, sign};
use storyline_sandbox::{Sandbox, SandboxConfig};
use storyline_testkit::fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, Mode, Running, figment, local, submit};
use storyline_testkit::ports::free_port;

/// Every log line of this test binary, whichever test wrote it.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        logs
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> String {
    String::from_utf8_lossy(&captured().lock().expect("not poisoned")).into_owned()
}

/// The forms a secret could leak in: itself, and inside an HTTP Basic `Authorization` header.
fn leaks(account_sid: &str, secret: &str) -> [String; 2] {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{secret}"));
    [secret.to_owned(), basic]
}

fn assert_no_leak(account_sid: &str, secret: &str, text: &str, what: &str) {
    for leak in leaks(account_sid, secret) {
        assert!(!text.contains(&leak), "{what} contains a secret ({} bytes)", text.len());
    }
}

/// A browser's client: no redirects followed, no proxy.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_story_never_shows_the_auth_token_in_logs_or_answers() {
    captured();
    let sandbox = Sandbox::start(SandboxConfig {
        speed: 20.0,
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts");
    let token = sandbox.auth_token.expose_secret().to_owned();
    let sid = sandbox.account_sid.as_str().to_owned();
    let dir = tempfile::tempdir().expect("a data directory");
    let port = free_port();
    let settings = figment(dir.path(), port, None)
        .merge(("storyline.twilio_account_sid", sid.as_str()))
        .merge(("storyline.twilio_auth_token", token.as_str()))
        .merge(("storyline.twilio_from_number", sandbox.from_number.as_str()))
        .merge(("storyline.twilio_api_base_url", sandbox.base_url.as_str()))
        .merge(("storyline.public_url", format!("http://127.0.0.1:{port}")))
        .merge(("storyline.max_story_seconds", 45));
    let settings_debug = format!(
        "{:?}",
        settings.extract::<storyline_rocket::Settings>().expect("settings")
    );
    assert_no_leak(&sid, &token, &settings_debug, "the settings' Debug");

    let server = Running::start(settings).await;
    let http = browser();
    let mut bodies = Vec::new();
    let res = http
        .post(format!("{}/", server.base))
        .form(&[("tel", "201-555-0100")])
        .send()
        .await
        .expect("POST /");
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("a location").to_owned();
    let id = location.trim_start_matches("/recording/").to_owned();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let res = http
            .get(format!("{}{location}/status", server.base))
            .send()
            .await
            .expect("status");
        let body = res.text().await.expect("a body");
        let done = body.contains("\"final\":true");
        bodies.push(body);
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the story never ended: {:?}", bodies.last());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        bodies.last().is_some_and(|b| b.contains("\"complete\"")),
        "{:?}",
        bodies.last()
    );
    let missing = storyline_core::RecordingId::random().expect("an id");
    for path in [
        "/".to_owned(),
        location.clone(),
        format!("{location}/audio"),
        format!("/recording/{missing}"),
        format!("/recording/{missing}/status"),
    ] {
        let res = http.get(format!("{}{path}", server.base)).send().await.expect("GET");
        bodies.push(String::from_utf8_lossy(&res.bytes().await.expect("a body")).into_owned());
    }
    // Twilio's side: a forged webhook, a form refused, a form too large.
    for (path, body) in [
        (
            format!("/recording/{id}/call_status"),
            "CallSid=CA0&CallStatus=busy".to_owned(),
        ),
        ("/".to_owned(), "tel=not+a+number".to_owned()),
        ("/".to_owned(), format!("tel={}", "9".repeat(20_000))),
    ] {
        let res = http
            .post(format!("{}{path}", server.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", "forged")
            .body(body)
            .send()
            .await
            .expect("POST");
        bodies.push(res.text().await.expect("a body"));
    }
    for (n, body) in bodies.iter().enumerate() {
        assert_no_leak(&sid, &token, body, &format!("answer {n}"));
    }
    drop(server);
    sandbox.stop();
    let logs = logs();
    let tag = id
        .parse::<storyline_core::RecordingId>()
        .expect("an id")
        .log_tag()
        .to_string();
    assert!(
        logs.contains(&tag),
        "the logs were captured (they name the recording by its tag)"
    );
    assert!(!logs.contains(&id), "the logs never carry a recording id whole");
    assert_no_leak(&sid, &token, &logs, "the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_twilio_requests_never_show_the_auth_token() {
    captured();
    let fake = FakeTwilio::start().await;
    for (n, mode) in [Mode::Unauthorized, Mode::EchoingProxy].into_iter().enumerate() {
        fake.set_mode(mode);
        let dir = tempfile::tempdir().expect("a data directory");
        let client = local(figment(dir.path(), free_port(), Some(&fake))).await;
        let (status, page) = submit(&client, &format!("201-555-011{n}"), None).await;
        let page = if mode == Mode::EchoingProxy {
            // A 5xx may mean the call was placed all the same: the storyteller waits on the recording page while
            // Twilio is asked, and that page shows no more of the proxy's answer than the form would.
            assert_eq!(status, Status::SeeOther, "{mode:?}: {page}");
            client
                .get(page)
                .dispatch()
                .await
                .into_string()
                .await
                .unwrap_or_default()
        } else {
            assert_eq!(status, Status::ServiceUnavailable, "{mode:?}: {page}");
            assert!(page.contains("please try again in a minute"), "{mode:?}: {page}");
            page
        };
        assert_no_leak(ACCOUNT_SID, AUTH_TOKEN, &page, &format!("the page after {mode:?}"));
        client.terminate().await;
    }
    // The fake did see the credentials (so a leak would have been possible), and echoed them in its error page.
    assert_eq!(fake.placed().len(), 2);

    // Twilio unreachable.
    let closed = FakeTwilio::start().await;
    let unreachable = closed.base_url.clone();
    drop(closed);
    let dir = tempfile::tempdir().expect("a data directory");
    let client =
        local(figment(dir.path(), free_port(), Some(&fake)).merge(("storyline.twilio_api_base_url", unreachable)))
            .await;
    let (status, page) = submit(&client, "201-555-0119", None).await;
    assert_eq!(status, Status::ServiceUnavailable, "{page}");
    assert_no_leak(ACCOUNT_SID, AUTH_TOKEN, &page, "the page with Twilio unreachable");
    client.terminate().await;

    let logs = logs();
    assert!(
        logs.contains("20003"),
        "the logs were captured (they keep Twilio's error code)"
    );
    assert_no_leak(ACCOUNT_SID, AUTH_TOKEN, &logs, "the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_is_never_fetched_with_credentials_from_anywhere_but_twilio() {
    captured();
    let fake = FakeTwilio::start().await;
    let elsewhere = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(figment(dir.path(), free_port(), Some(&fake))).await;
    let (status, location) = submit(&client, "201-555-0120", None).await;
    assert_eq!(status, Status::SeeOther);
    let id = location.trim_start_matches("/recording/");
    let call_sid = storyline_testkit::fake_twilio::stored(&client, id)
        .await
        .and_then(|r| r.call_sid)
        .expect("a placed call");

    // A correctly signed callback whose recording lives on another host (a misconfiguration, or a token thief).
    let path = format!("/recording/{id}/recording_status_updated");
    let media = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE0123456789abcdef0123456789abcdef",
        elsewhere.base_url
    );
    let pairs = [
        ("AccountSid", ACCOUNT_SID),
        ("CallSid", call_sid.as_str()),
        ("RecordingSid", "RE0123456789abcdef0123456789abcdef"),
        ("RecordingStatus", "completed"),
        ("RecordingUrl", media.as_str()),
        ("RecordingDuration", "12"),
    ];
    let token: AuthToken = AUTH_TOKEN.parse().expect("a token");
    let signature = sign(
        &token,
        Algorithm::HmacSha1,
        &format!("{}{path}", storyline_testkit::fake_twilio::public_url(&client)),
        &pairs,
    );
    let res = client
        .post(path)
        .header(ContentType::Form)
        .header(Header::new("X-Twilio-Signature", signature))
        .body(serde_urlencoded::to_string(pairs).expect("a form"))
        .dispatch()
        .await;
    assert!(res.status().class().is_success(), "{}", res.status());
    drop(res);

    let deadline = Instant::now() + Duration::from_secs(10);
    while elsewhere.fetched().is_empty() {
        assert!(Instant::now() < deadline, "the media was never fetched");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (path, authorization) in elsewhere.fetched() {
        assert_eq!(authorization, "", "credentials were sent to another host for {path}");
    }
    client.terminate().await;
}
