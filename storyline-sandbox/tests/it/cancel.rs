//! `canceled`: a call canceled before it was answered, through `POST Calls/{CallSid}.json` or by +1 201-555-0112.

use std::time::Duration;

use crate::app::{Api, App, Hit, sandbox, wait_for};

const HANG_UP: &str = "<Response><Hangup/></Response>";

async fn canceled_callback(app: &App) -> Hit {
    wait_for(Duration::from_secs(5), || async {
        app.hits("/status")
            .into_iter()
            .find(|h| h.get("CallStatus") == Some("canceled"))
    })
    .await
    .expect("the canceled callback arrives")
}

#[tokio::test]
async fn a_ringing_call_canceled_through_rest_ends_canceled_with_its_callback() {
    let sandbox = sandbox(10.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550102", &[]).await;
    api.status_once(&sid, &["ringing"], Duration::from_secs(5)).await;
    let (status, call) = api.post(&format!("/Calls/{sid}.json"), &[("Status", "canceled")]).await;
    assert_eq!((status, call["status"].as_str()), (200, Some("canceled")), "{call}");
    let callback = canceled_callback(&app).await;
    assert_eq!(callback.get("SipResponseCode"), Some("487"));
    assert_eq!(callback.get("CallDuration"), Some("0"));
    let (_, page) = api.get("/Calls.json?Status=canceled").await;
    assert_eq!(page["calls"][0]["sid"].as_str(), Some(sid.as_str()));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(app.hits("/twiml").is_empty(), "a canceled call is never answered");
    assert_eq!(sandbox.report()[0].status.as_str(), "canceled");
}

#[tokio::test]
async fn a_call_canceled_while_queued_sends_no_callback() {
    let sandbox = sandbox(1.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550100", &[]).await;
    let (status, call) = api
        .post(&format!("/Calls/{sid}.json"), &[("Status", "completed")])
        .await;
    assert_eq!((status, call["status"].as_str()), (200, Some("canceled")), "{call}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(app.hits("/status").is_empty(), "{:?}", app.hits("/status"));
    assert!(app.hits("/twiml").is_empty());
}

#[tokio::test]
async fn an_ended_call_cannot_be_canceled() {
    let sandbox = sandbox(50.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550101", &[]).await;
    api.status_once(&sid, &["busy"], Duration::from_secs(5)).await;
    let (status, body) = api.post(&format!("/Calls/{sid}.json"), &[("Status", "canceled")]).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21220)));
}

#[tokio::test]
async fn the_number_0112_is_canceled_while_ringing() {
    let sandbox = sandbox(50.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550112", &[]).await;
    api.status_once(&sid, &["canceled"], Duration::from_secs(5)).await;
    canceled_callback(&app).await;
    let statuses: Vec<String> = app
        .hits("/status")
        .iter()
        .filter_map(|h| h.get("CallStatus").map(str::to_owned))
        .collect();
    assert!(statuses.contains(&"ringing".to_owned()), "{statuses:?}");
    assert!(app.hits("/twiml").is_empty());
}
