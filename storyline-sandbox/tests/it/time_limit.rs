//! `TimeLimit`: the call ends that many seconds of call time after its answer, whatever it is doing.

use std::time::Duration;

use storyline_sandbox::media::{SAMPLES, duration_ms};
use storyline_sandbox::storyteller::Behaviour;

use crate::app::{Api, App, Hit, sandbox, wait_for};

/// Forty seconds of speech (ten words, ten times), then a redirect the call should never reach.
const LONG_SAY: &str = r#"<Response><Say loop="10">one two three four five six seven eight nine ten</Say><Redirect>/next</Redirect></Response>"#;

/// A recording the call's time limit will cut short; the action's answer comes too late to be run.
const RECORD: &str = r#"<Response><Record action="/after" playBeep="false" timeout="0" recordingStatusCallback="/recording"/></Response>"#;
const AFTER: &str = "<Response><Say>Thank you.</Say><Redirect>/next</Redirect></Response>";

async fn first(app: &App, path: &str) -> Hit {
    wait_for(Duration::from_secs(10), || async { app.hits(path).pop() })
        .await
        .unwrap_or_else(|| panic!("{path} is requested"))
}

async fn completed(app: &App) -> Hit {
    wait_for(Duration::from_secs(10), || async {
        app.hits("/status")
            .into_iter()
            .find(|h| h.get("CallStatus") == Some("completed"))
    })
    .await
    .expect("the completed status callback is sent")
}

fn call_duration(hit: &Hit) -> i64 {
    hit.get("CallDuration")
        .expect("CallDuration")
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_limit_ends_the_call_during_say() {
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, LONG_SAY)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550100", &[("TimeLimit", "5")]).await;
    let status = completed(&app).await;
    // The limit counts from the answer; the sandbox's own scheduling may add a fraction of a second.
    assert!(
        (5..=6).contains(&call_duration(&status)),
        "CallDuration {:?}",
        status.get("CallDuration")
    );
    assert_eq!(status.get("SipResponseCode"), Some("200"));
    let (_, call) = api.get(&format!("/Calls/{sid}.json")).await;
    assert_eq!(call["status"], "completed");
    assert!(
        app.hits("/next").is_empty(),
        "the verbs after the limit are not reached"
    );
}

#[tokio::test]
async fn a_time_limit_that_is_not_a_positive_whole_number_is_refused_with_13216() {
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[]).await;
    let api = Api::new(&sandbox);
    for given in ["0", "-60", "ten", "1.5", ""] {
        let res = api.place(&app, "+12015550100", &[("TimeLimit", given)]).await.unwrap();
        assert_eq!(res.status(), 400, "TimeLimit={given:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], 13216, "TimeLimit={given:?}");
    }
    // Past the account's four hours it is held to them, not refused.
    api.placed(&app, "+12015550101", &[("TimeLimit", "86400")]).await;
}

#[tokio::test]
async fn the_limit_during_record_finishes_the_recording_as_a_hang_up_does() {
    const LIMIT: i64 = 12;
    let number = "+12015550100";
    let story_secs = duration_ms(&SAMPLES[Behaviour::sample_for(number)]) / 1000;
    assert!(story_secs > 20, "the story outlasts the limit");
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, RECORD), ("/after", Duration::ZERO, AFTER)]).await;
    let api = Api::new(&sandbox);
    api.placed(&app, number, &[("TimeLimit", &LIMIT.to_string())]).await;

    let after = first(&app, "/after").await;
    assert_eq!(after.get("Digits"), Some("hangup"));
    assert_eq!(after.get("CallStatus"), Some("completed"));
    let untrimmed: i64 = after.get("RecordingDuration").unwrap().parse().unwrap();
    assert!((LIMIT - 1..=LIMIT).contains(&untrimmed), "{untrimmed} s recorded");

    let recording = first(&app, "/recording").await;
    assert_eq!(recording.get("RecordingStatus"), Some("completed"));
    assert_eq!(recording.get("RecordingSid"), after.get("RecordingSid"));
    let kept: i64 = recording.get("RecordingDuration").unwrap().parse().unwrap();
    assert!((LIMIT - 2..=untrimmed).contains(&kept), "{kept} s kept of {untrimmed}");

    let status = completed(&app).await;
    assert!(
        (LIMIT..=LIMIT + 1).contains(&call_duration(&status)),
        "CallDuration {:?}",
        status.get("CallDuration")
    );

    let wav = reqwest::get(format!("{}.wav", after.get("RecordingUrl").unwrap()))
        .await
        .unwrap();
    assert_eq!(wav.status(), 200);
    let audio_secs = (wav.bytes().await.unwrap().len() - 44) as f64 / 2.0 / 8000.0;
    assert!(
        (audio_secs - kept as f64).abs() <= 0.5,
        "{audio_secs} s of audio, {kept} s said"
    );
    assert!(
        app.hits("/next").is_empty(),
        "the action's answer is not run: the call is over"
    );
}
