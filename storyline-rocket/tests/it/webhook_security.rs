//! Twilio's webhooks over real HTTP, against a server configured with credentials for an external sandbox (so the test
//! knows the auth token): only requests signed for the configured public URL change anything, duplicates change
//! nothing, and the TwiML the server answers is what Twilio needs.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use storyline_core::{AuthToken, CallSid};
use storyline_sandbox::{Sandbox, SandboxConfig};
use storyline_testkit::db::call_sid_of;
use storyline_testkit::http::header;
use storyline_testkit::twilio::{form, sandbox_recordings, twilio_signature};
use storyline_testkit::{Config, Server, within};
use storyline_twiml::{Method, Response, Verb};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        speed: 20.0,
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

/// A server whose calls to 201-555-0102 ring for ten minutes of call time (30 s at speed 20): long enough to forge
/// callbacks at a call that is still ringing.
fn ringing_config(dir: &std::path::Path, sandbox: &Sandbox) -> Config {
    Config {
        ring_seconds: 600,
        ..Config::external(dir, sandbox)
    }
}

/// The parameters every Twilio request about this call carries.
fn call_params(sandbox: &Sandbox, call_sid: &CallSid, call_status: &str) -> Vec<(String, String)> {
    form(&[
        ("AccountSid", sandbox.account_sid.as_str()),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid.as_str()),
        ("CallStatus", call_status),
        ("Called", "+12015550102"),
        ("Caller", &sandbox.from_number),
        ("Direction", "outbound-api"),
        ("From", &sandbox.from_number),
        ("To", "+12015550102"),
    ])
}

/// A call status callback that would end a ringing call as busy, if the server believed it.
fn busy_callback(sandbox: &Sandbox, call_sid: &CallSid) -> Vec<(String, String)> {
    let mut p = call_params(sandbox, call_sid, "busy");
    p.extend(form(&[
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", "2"),
        ("CallDuration", "0"),
        ("SipResponseCode", "486"),
    ]));
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_callbacks_are_refused_and_change_nothing() {
    within(async {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let server = Server::start(ringing_config(dir.path(), &sandbox)).await;
        let http = server.http();
        let id = http.start_call("201-555-0102").await;
        let before = http.wait_for(&id, "ringing", |j| j["status"] == "ringing").await;
        let call_sid = call_sid_of(dir.path(), &id).await;

        let url = server.webhook_url(&id, "call_status");
        let busy = busy_callback(&sandbox, &call_sid);
        let token = &sandbox.auth_token;
        let other_token: AuthToken = "0123456789abcdef0123456789abcdef".parse().expect("a token");
        let mut ringing = busy.clone();
        for (k, v) in &mut ringing {
            if k == "CallStatus" {
                *v = "ringing".into();
            }
        }
        let other_id = storyline_core::RecordingId::random().expect("an id");
        let forgeries: Vec<(&str, Option<String>)> = vec![
            ("no signature", None),
            ("an empty signature", Some(String::new())),
            (
                "a signature made with another token",
                Some(twilio_signature(&other_token, &url, &busy)),
            ),
            (
                "a valid ringing callback replayed as busy",
                Some(twilio_signature(token, &url, &ringing)),
            ),
            (
                "a signature for another port",
                Some(twilio_signature(
                    token,
                    &url.replace(&format!(":{}/", server.port), &format!(":{}/", server.port + 1)),
                    &busy,
                )),
            ),
            (
                "a signature for https",
                Some(twilio_signature(token, &url.replace("http://", "https://"), &busy)),
            ),
            (
                "a signature for another host name",
                Some(twilio_signature(token, &url.replace("127.0.0.1", "localhost"), &busy)),
            ),
            (
                "a signature for another recording",
                Some(twilio_signature(
                    token,
                    &server.webhook_url(other_id.as_str(), "call_status"),
                    &busy,
                )),
            ),
            (
                "a signature for another webhook",
                Some(twilio_signature(
                    token,
                    &server.webhook_url(&id, "recording_status_updated"),
                    &busy,
                )),
            ),
        ];
        for (what, signature) in &forgeries {
            let res = http.post_webhook(&id, "call_status", &busy, signature.as_deref()).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
            let (_, now) = http.status(&id).await;
            assert_eq!(now, before, "{what} changed the recording");
        }

        // The same callback, signed as Twilio signs it, is believed: the forgeries above would have changed the state.
        let signature = twilio_signature(token, &url, &busy);
        let res = http.post_webhook(&id, "call_status", &busy, Some(&signature)).await;
        assert!(
            res.status().is_success(),
            "a valid callback is accepted: {}",
            res.status()
        );
        let (_, after) = http.status(&id).await;
        assert_eq!(after["status"], "busy", "a valid callback is applied: {after}");

        // Twilio retries: the same valid callback again is acknowledged and changes nothing.
        let res = http.post_webhook(&id, "call_status", &busy, Some(&signature)).await;
        assert!(
            res.status().is_success(),
            "a duplicate is acknowledged: {}",
            res.status()
        );
        let (_, again) = http.status(&id).await;
        assert_eq!(again, after, "a duplicate changed the recording");

        server.stop().await;
        sandbox.stop();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_callbacks_of_a_finished_story_change_nothing() {
    within(async {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let server = Server::start(Config::external(dir.path(), &sandbox)).await;
        let http = server.http();
        let id = http.start_call("201-555-0100").await;
        let done = http.wait_final(&id).await;
        assert_eq!(done["status"], "complete", "{done}");
        let audio_url = done["audio_url"].as_str().expect("an audio_url").to_owned();
        let audio = http.get(&audio_url).await.bytes().await.expect("the audio downloads");

        let call_sid = call_sid_of(dir.path(), &id).await;
        let recordings = sandbox_recordings(&sandbox, &call_sid).await;
        let [recording] = &recordings[..] else {
            panic!("the call made one recording: {recordings:?}");
        };
        let recording_sid = recording["sid"].as_str().expect("a recording sid");
        let recording_url = format!(
            "{}/2010-04-01/Accounts/{}/Recordings/{recording_sid}",
            sandbox.base_url, sandbox.account_sid
        );
        let duration = recording["duration"].as_str().unwrap_or("30");

        let mut call_completed = call_params(&sandbox, &call_sid, "completed");
        call_completed.extend(form(&[
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", "3"),
            ("CallDuration", "60"),
            ("SipResponseCode", "200"),
        ]));
        let recording_completed = form(&[
            ("AccountSid", sandbox.account_sid.as_str()),
            ("CallSid", call_sid.as_str()),
            ("RecordingSid", recording_sid),
            ("RecordingUrl", &recording_url),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", duration),
            ("RecordingChannels", "1"),
            ("RecordingSource", "RecordVerb"),
            ("ErrorCode", "0"),
        ]);
        let mut recorded = call_params(&sandbox, &call_sid, "completed");
        recorded.extend(form(&[
            ("RecordingUrl", &recording_url),
            ("RecordingSid", recording_sid),
            ("RecordingDuration", duration),
            ("Digits", "hangup"),
        ]));

        for (hook, params) in [
            ("call_status", &call_completed),
            ("recording_status_updated", &recording_completed),
            ("recorded", &recorded),
        ] {
            let signature = twilio_signature(&sandbox.auth_token, &server.webhook_url(&id, hook), params);
            let res = http.post_webhook(&id, hook, params, Some(&signature)).await;
            assert!(
                res.status().is_success(),
                "a duplicated {hook} is acknowledged: {}",
                res.status()
            );
            let (_, now) = http.status(&id).await;
            assert_eq!(now, done, "a duplicated {hook} changed the recording");
        }
        let again = http.get(&audio_url).await.bytes().await.expect("the audio downloads");
        assert!(again == audio, "the stored story is unchanged");

        server.stop().await;
        sandbox.stop();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_call_gets_a_greeting_and_a_record_on_the_public_url() {
    within(async {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let server = Server::start(ringing_config(dir.path(), &sandbox)).await;
        let http = server.http();
        let id = http.start_call("201-555-0102").await;
        http.wait_for(&id, "ringing", |j| j["status"] == "ringing").await;
        let call_sid = call_sid_of(dir.path(), &id).await;

        // Twilio's TwiML request when a person answers.
        let mut answered = call_params(&sandbox, &call_sid, "in-progress");
        answered.push(("AnsweredBy".into(), "human".into()));
        let signature = twilio_signature(&sandbox.auth_token, &server.webhook_url(&id, "call_started"), &answered);
        let res = http
            .post_webhook(&id, "call_started", &answered, Some(&signature))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "call_started");
        assert!(header(&res, CONTENT_TYPE).starts_with("text/xml"), "TwiML is text/xml");
        let body = res.text().await.expect("the TwiML downloads");
        let twiml = Response::parse(&body).unwrap_or_else(|e| panic!("valid TwiML: {e}\n{body}"));

        let verbs = twiml.verbs();
        assert!(
            matches!(verbs.first(), Some(Verb::Say(_) | Verb::Play(_))),
            "a greeting comes first: {body}"
        );
        let records: Vec<_> = verbs
            .iter()
            .filter_map(|v| match v {
                Verb::Record(r) => Some(r),
                _ => None,
            })
            .collect();
        let [record] = &records[..] else {
            panic!("one <Record>: {body}");
        };
        let on_public_url = |attr: &str, value: Option<&storyline_twiml::UrlRef>, hook: &str| {
            let value = value.unwrap_or_else(|| panic!("<Record {attr}> is set: {body}"));
            assert_eq!(value.as_str(), server.webhook_url(&id, hook), "<Record {attr}>");
        };
        on_public_url("action", record.action.as_ref(), "recorded");
        on_public_url(
            "recordingStatusCallback",
            record.recording_status_callback.as_ref(),
            "recording_status_updated",
        );
        assert_eq!(record.method.unwrap_or(Method::Post), Method::Post, "<Record method>");
        assert_eq!(
            record.max_length,
            Some(server.config.max_story_seconds),
            "<Record maxLength> is the maximum story length"
        );
        assert!(
            record.finish_on_key.as_deref().is_some_and(|k| k.contains('#')),
            "<Record finishOnKey> is the finish key: {body}"
        );
        let (_, status) = http.status(&id).await;
        assert_eq!(
            status["status"], "in_progress",
            "the answered call is connected: {status}"
        );

        server.stop().await;
        sandbox.stop();
    })
    .await;
}
