//! A sandbox that runs for days keeps only recent finished calls and their recordings.

use std::time::Duration;

use storyline_sandbox::{Retention, Sandbox, SandboxConfig};

use crate::app::{Api, App};

const RECORD: &str = r#"<Response><Record action="/after"/></Response>"#;
const HANG_UP: &str = "<Response><Hangup/></Response>";

async fn keeping(retention: Retention) -> Sandbox {
    Sandbox::start(SandboxConfig {
        speed: 100.0,
        retention,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_long_run_keeps_only_the_latest_finished_calls_and_their_recordings() {
    let sandbox = keeping(Retention {
        max_calls: 3,
        ..Retention::default()
    })
    .await;
    let app = App::start(&[("/twiml", Duration::ZERO, RECORD), ("/after", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let mut sids = Vec::new();
    for _ in 0..8 {
        let sid = api.placed(&app, "+12015550100", &[]).await;
        api.status_once(&sid, &["completed"], Duration::from_secs(10)).await;
        sids.push(sid);
    }
    // The last call is evicted from only once the next one starts or ends; wait for its own end to have run.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let kept: Vec<String> = sandbox.report().iter().map(|c| c.sid.to_string()).collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(sids[5..].iter().all(|s| kept.contains(s)), "the latest are kept");
    let (status, _) = api.get(&format!("/Calls/{}.json", sids[0])).await;
    assert_eq!(status, 404, "an evicted call is unknown");
    let (_, page) = api.get(&format!("/Calls/{}/Recordings.json", sids[0])).await;
    assert_eq!(
        page["recordings"].as_array().map(Vec::len),
        Some(0),
        "its recordings went with it"
    );
    let (_, page) = api.get(&format!("/Calls/{}/Recordings.json", sids[7])).await;
    assert_eq!(page["recordings"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn finished_calls_go_after_the_retention_period() {
    let sandbox = keeping(Retention {
        max_age: Duration::ZERO,
        ..Retention::default()
    })
    .await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let sid = api.placed(&app, "+12015550101", &[]).await;
    let gone = crate::app::wait_for(Duration::from_secs(5), || async {
        let (status, _) = api.get(&format!("/Calls/{sid}.json")).await;
        (status == 404).then_some(())
    })
    .await;
    assert!(gone.is_some(), "the busy call is forgotten once it ended");
    assert!(sandbox.report().is_empty());
}
