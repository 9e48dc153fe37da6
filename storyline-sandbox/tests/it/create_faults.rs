//! `create_then_error` and `create_then_timeout`: Twilio placed the call, but the application never read the `201`.

use std::time::Duration;

use serde_json::Value;

use crate::app::{Api, App, sandbox, wait_for};

const HANG_UP: &str = "<Response><Hangup/></Response>";

/// The one call to `to` that `GET Calls.json` lists, once it has completed.
async fn listed_and_completed(api: &Api<'_>, app: &App, to: &str) -> Value {
    let (status, page) = api.get(&format!("/Calls.json?To={}", to.replace('+', "%2B"))).await;
    assert_eq!(status, 200);
    let calls = page["calls"].as_array().unwrap().clone();
    assert_eq!(calls.len(), 1, "the call was placed: {page}");
    let sid = calls[0]["sid"].as_str().unwrap();
    api.status_once(sid, &["completed"], Duration::from_secs(5)).await;
    let completed = wait_for(Duration::from_secs(5), || async {
        app.hits("/status")
            .into_iter()
            .find(|h| h.get("CallStatus") == Some("completed"))
    })
    .await
    .expect("the completed callback arrives");
    assert_eq!(completed.get("CallSid"), Some(sid));
    assert_eq!(app.hits("/twiml").len(), 1, "the call fetched its TwiML");
    calls[0].clone()
}

#[tokio::test]
async fn a_call_answered_with_500_still_rings_and_is_listed() {
    let sandbox = sandbox(50.0, "create_then_error=1").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let res = api.place(&app, "+12015550100", &[]).await.unwrap();
    assert_eq!(res.status(), 500);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], 20500);
    listed_and_completed(&api, &app, "+12015550100").await;
}

#[tokio::test]
async fn a_call_whose_answer_comes_too_late_still_rings_and_is_listed() {
    let sandbox = sandbox(50.0, "create_then_timeout=1").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
        ..Api::new(&sandbox)
    };
    let err = api.place(&app, "+12015550107", &[]).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let api = Api::new(&sandbox);
    listed_and_completed(&api, &app, "+12015550107").await;
}
