//! A server restarted in the middle of a story (same port, same data directory, an external sandbox that keeps
//! calling) still ends the story `complete` with the whole recording, whether the story ended while it was down (the
//! callbacks are lost: only reconciliation with Twilio's REST API can tell) or after it came back.

use std::time::Duration;

use serde_json::Value;
use storyline_core::CallSid;
use storyline_sandbox::{CallStatus, Sandbox, SandboxConfig};
use storyline_testkit::audio::{check_story_audio, sample_story_length};
use storyline_testkit::db::{call_sid_of, stored_status, stored_story};
use storyline_testkit::twilio::sandbox_recordings;
use storyline_testkit::{Config, Http, Server, within};

/// How long the server stays down: longer than the sandbox's one retry of a failed callback.
const DOWNTIME: Duration = Duration::from_secs(1);

/// Follows the recording on the restarted server to its ending; if it never ends, says what the sandbox and the
/// server's database know.
async fn ending_after_restart(
    http: &Http,
    sandbox: &Sandbox,
    data_dir: &std::path::Path,
    id: &str,
    call_sid: &CallSid,
) -> Value {
    match http.try_wait_for(id, |j| j["final"] == true).await {
        Ok(done) => done,
        Err(seen) => panic!(
            "after the restart, recording {id} went through {seen:?} and never ended; the sandbox's call is {:?} with \
             recordings {:?}; the server stored:\n{}",
            sandbox.call_status(call_sid),
            sandbox_recordings(sandbox, call_sid).await,
            stored_story(data_dir, id).await
        ),
    }
}

async fn sandbox(speed: f64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        speed,
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_that_ends_while_the_server_is_down_is_recovered_after_restart() {
    within(async {
        let sandbox = sandbox(20.0).await;
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let first = Server::start(Config::external(dir.path(), &sandbox)).await;
        let http = first.http();
        let id = http.start_call("201-555-0100").await;
        http.wait_for(&id, "recording", |j| j["status"] == "recording").await;
        let config = Config {
            port: Some(first.port),
            ..first.config.clone()
        };
        first.stop().await;

        // The story ends while nobody listens: every callback about it fails, the retry too.
        let call_sid = call_sid_of(dir.path(), &id).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let finished = sandbox.call_status(&call_sid) == Some(CallStatus::Completed)
                && sandbox_recordings(&sandbox, &call_sid)
                    .await
                    .iter()
                    .any(|r| r["status"] == "completed");
            if finished {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the sandbox's call never ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(DOWNTIME).await;
        assert_eq!(
            stored_status(dir.path(), &id).await,
            "recording",
            "no callback reached the stopped server"
        );

        let second = Server::start(config).await;
        let http = second.http();
        let done = ending_after_restart(&http, &sandbox, dir.path(), &id, &call_sid).await;
        assert_eq!(done["status"], "complete", "{done}");
        check_story_audio(&http, &done, sample_story_length("+12015550100")).await;
        second.stop().await;
        sandbox.stop();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_still_being_told_after_a_quick_restart_completes() {
    within(async {
        // Slow calls: the story (10 to 20 s at this speed) outlasts the restart even when a loaded machine takes
        // seconds to start the server again.
        let sandbox = sandbox(2.0).await;
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let first = Server::start(Config {
            speed: 2.0,
            ..Config::external(dir.path(), &sandbox)
        })
        .await;
        let http = first.http();
        let id = http.start_call("201-555-0100").await;
        http.wait_for(&id, "recording", |j| j["status"] == "recording").await;
        let config = Config {
            port: Some(first.port),
            ..first.config.clone()
        };
        first.stop().await;
        tokio::time::sleep(DOWNTIME).await;

        let call_sid = call_sid_of(dir.path(), &id).await;
        let second = Server::start(config).await;
        assert_eq!(
            sandbox.call_status(&call_sid),
            Some(CallStatus::InProgress),
            "the storyteller is still talking when the server is back"
        );
        let http = second.http();
        let done = ending_after_restart(&http, &sandbox, dir.path(), &id, &call_sid).await;
        assert_eq!(done["status"], "complete", "{done}");
        check_story_audio(&http, &done, sample_story_length("+12015550100")).await;
        second.stop().await;
        sandbox.stop();
    })
    .await;
}
