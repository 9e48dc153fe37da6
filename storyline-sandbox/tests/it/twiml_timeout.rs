//! Twilio waits 15 s of call time for TwiML, then gives up with 11205: the fallback is asked, or the caller hears an
//! application error and the call ends.

use std::time::Duration;

use crate::app::{Api, App, sandbox, wait_for};

const HANG_UP: &str = "<Response><Hangup/></Response>";

/// At speed 10 the limit is 2 s (15 s / 10 is below the floor): an application taking 3 s is too slow.
const SLOW: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_slow_application_gets_11205_and_its_fallback_is_asked() {
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[("/twiml", SLOW, HANG_UP), ("/fallback", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let fallback = format!("{}/fallback", app.base);
    let sid = api.placed(&app, "+12015550100", &[("FallbackUrl", &fallback)]).await;
    let asked = wait_for(Duration::from_secs(10), || async { app.hits("/fallback").pop() })
        .await
        .expect("the fallback is asked");
    assert_eq!(asked.get("ErrorCode"), Some("11205"));
    assert_eq!(asked.get("ErrorUrl"), Some(format!("{}/twiml", app.base).as_str()));
    api.status_once(&sid, &["completed"], Duration::from_secs(5)).await;
    assert!(sandbox.report().iter().all(|c| c.twiml_failed));
}

#[tokio::test]
async fn without_a_fallback_a_slow_application_ends_the_call_after_the_application_error() {
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[("/twiml", SLOW, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550100", &[]).await;
    api.status_once(&sid, &["completed"], Duration::from_secs(10)).await;
    let completed = wait_for(Duration::from_secs(2), || async {
        app.hits("/status")
            .into_iter()
            .find(|h| h.get("CallStatus") == Some("completed"))
    })
    .await;
    assert!(completed.is_some(), "the completed callback arrives");
    assert!(sandbox.report()[0].twiml_failed);
}

#[tokio::test]
async fn the_twiml_timeout_fault_sends_the_request_and_ignores_the_answer() {
    let sandbox = sandbox(10.0, "twiml_timeout=1").await;
    let app = App::start(&[
        ("/twiml", Duration::ZERO, HANG_UP),
        ("/fallback", Duration::ZERO, HANG_UP),
    ])
    .await;
    let api = Api::new(&sandbox);
    let fallback = format!("{}/fallback", app.base);
    api.placed(&app, "+12015550100", &[("FallbackUrl", &fallback)]).await;
    let asked = wait_for(Duration::from_secs(10), || async { app.hits("/fallback").pop() })
        .await
        .expect("the fallback is asked");
    assert_eq!(asked.get("ErrorCode"), Some("11205"));
    assert_eq!(
        app.hits("/twiml").len(),
        1,
        "the application saw the request it answered too late"
    );
}
