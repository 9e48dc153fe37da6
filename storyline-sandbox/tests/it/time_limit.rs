//! `TimeLimit`: the call ends that many seconds of call time after its answer, whatever it is doing.

use std::time::Duration;

use crate::app::{Api, App, Hit, sandbox, wait_for};

/// Forty seconds of speech (ten words, ten times), then a redirect the call should never reach.
const LONG_SAY: &str = r#"<Response><Say loop="10">one two three four five six seven eight nine ten</Say><Redirect>/next</Redirect></Response>"#;

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
