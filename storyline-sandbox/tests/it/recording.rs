//! `<Record>`: a silence within the story ends it at `timeout`, and a recording Twilio fails to store says `failed`.

use std::time::Duration;

use storyline_sandbox::media::{SAMPLES, duration_ms};
use storyline_sandbox::storyteller::{Behaviour, MID_STORY_PAUSE_SECS};

use crate::app::{Api, App, Hit, sandbox, wait_for};

const HANG_UP: &str = "<Response><Hangup/></Response>";

fn record(timeout: u32) -> String {
    format!(
        r#"<Response><Record action="/after" timeout="{timeout}" recordingStatusCallback="/recording"/></Response>"#
    )
}

async fn first(app: &App, path: &str) -> Hit {
    wait_for(Duration::from_secs(10), || async { app.hits(path).pop() })
        .await
        .unwrap_or_else(|| panic!("{path} is requested"))
}

fn story_secs(number: &str) -> f64 {
    duration_ms(&SAMPLES[Behaviour::sample_for(number)]) as f64 / 1000.0
}

#[tokio::test]
async fn a_pause_longer_than_the_timeout_ends_the_recording_there() {
    let sandbox = sandbox(50.0, "").await;
    let twiml = record(5);
    let app = App::start(&[("/twiml", Duration::ZERO, &twiml), ("/after", Duration::ZERO, HANG_UP)]).await;
    Api::new(&sandbox).placed(&app, "+12015550109", &[]).await;
    let after = first(&app, "/after").await;
    assert_eq!(after.get("Digits"), Some(""), "the silence ended it, no key");
    let recorded: f64 = after.get("RecordingDuration").unwrap().parse().unwrap();
    let expected = story_secs("+12015550109") / 2.0 + 5.0;
    assert!(
        (recorded - expected).abs() <= 1.0,
        "{recorded} s recorded, {expected} s expected"
    );
}

#[tokio::test]
async fn a_pause_shorter_than_the_timeout_is_recorded_with_the_story() {
    let sandbox = sandbox(50.0, "").await;
    let twiml = record(MID_STORY_PAUSE_SECS + 2);
    let app = App::start(&[("/twiml", Duration::ZERO, &twiml), ("/after", Duration::ZERO, HANG_UP)]).await;
    Api::new(&sandbox).placed(&app, "+12015550109", &[]).await;
    let after = first(&app, "/after").await;
    assert_eq!(after.get("Digits"), Some("hangup"));
    let recorded: f64 = after.get("RecordingDuration").unwrap().parse().unwrap();
    let expected = story_secs("+12015550109") + f64::from(MID_STORY_PAUSE_SECS);
    assert!(
        (recorded - expected).abs() <= 1.0,
        "{recorded} s recorded, {expected} s expected"
    );
}

#[tokio::test]
async fn a_recording_twilio_fails_to_store_is_failed_with_an_error_code() {
    let sandbox = sandbox(50.0, "").await;
    let twiml = record(5);
    let app = App::start(&[("/twiml", Duration::ZERO, &twiml), ("/after", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    api.placed(&app, "+12015550111", &[]).await;
    let callback = first(&app, "/recording").await;
    assert_eq!(callback.get("RecordingStatus"), Some("failed"));
    assert_eq!(callback.get("ErrorCode"), Some("16102"));
    assert_eq!(callback.get("RecordingDuration"), None);
    let rec = callback.get("RecordingSid").unwrap();
    let (status, json) = api.get(&format!("/Recordings/{rec}.json")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (json["status"].as_str(), json["error_code"].as_u64()),
        (Some("failed"), Some(16102))
    );
    let (status, _) = api.get(&format!("/Recordings/{rec}.wav")).await;
    assert_eq!(status, 404, "no audio to fetch");
    assert!(
        sandbox.report().iter().all(|c| c.spoken_ms.is_none()),
        "nothing stored to expect"
    );
}

#[tokio::test]
async fn a_call_lasts_in_call_time_however_fast_the_sandbox_runs() {
    // Ten times faster leaves a loaded machine 100 ms of slack per call second.
    let sandbox = sandbox(10.0, "").await;
    let twiml = record(5);
    let app = App::start(&[("/twiml", Duration::ZERO, &twiml), ("/after", Duration::ZERO, HANG_UP)]).await;
    Api::new(&sandbox).placed(&app, "+12015550100", &[]).await;
    let completed = wait_for(Duration::from_secs(10), || async {
        app.hits("/status")
            .into_iter()
            .find(|h| h.get("CallStatus") == Some("completed"))
    })
    .await
    .expect("the call completes");
    let lasted: f64 = completed.get("CallDuration").unwrap().parse().unwrap();
    // The beep, then the whole story until the storyteller hangs up.
    let story = story_secs("+12015550100");
    assert!(
        lasted >= story.floor() && lasted <= story + 2.0,
        "CallDuration {lasted} for a story of {story} s"
    );
}
