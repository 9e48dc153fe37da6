//! Twilio placed the call but its answer to `POST Calls.json` was lost (a 5xx, or no answer before the client's
//! timeout): the storyteller's phone rings all the same. The recording is kept, its webhooks are answered, Twilio is
//! asked which call it placed, and the story ends stored, as any other.

use std::time::Duration;

use storyline_testkit::audio::{check_story_audio, sample_story_length};
use storyline_testkit::{Config, Server, faulty_sandbox, within};

async fn story_despite(fault: &str, typed: &str, e164: &str) {
    let sandbox = faulty_sandbox(&format!("{fault}=1")).await;
    let dir = tempfile::tempdir().expect("a data directory");
    let server = Server::start(Config::external(dir.path(), &sandbox)).await;
    let http = server.http();
    // Before, the form said "we couldn't reach our phone service" and forgot the recording while the phone rang.
    let id = http.start_call(typed).await;
    let done = http.wait_final(&id).await;
    assert_eq!(done["status"], "complete", "{fault}: {done}");
    check_story_audio(&http, &done, sample_story_length(e164)).await;
    let placed = sandbox.report();
    assert_eq!(placed.len(), 1, "{fault}: one call, never a second: {placed:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_twilio_placed_without_confirming_it_keeps_its_story() {
    within(async {
        tokio::join!(
            story_despite("create_then_error", "201-555-0100", "+12015550100"),
            // The client gives up after 15 s; the sandbox answers after 60.
            story_despite("create_then_timeout", "201-555-0107", "+12015550107"),
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_twilio_answered_5xx_for_and_never_placed_ends_failed() {
    use rocket::http::Status;
    use storyline_testkit::fake_twilio::{FakeTwilio, Mode, figment, local, submit, wait_status};
    let fake = FakeTwilio::start().await;
    // A proxy in front of Twilio answers 502: nothing tells whether Twilio placed the call, and Twilio lists none.
    fake.set_mode(Mode::EchoingProxy);
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(figment(dir.path(), storyline_testkit::ports::free_port(), Some(&fake))).await;
    let (status, location) = submit(&client, "201-555-0100", None).await;
    assert_eq!(status, Status::SeeOther, "{location}");
    let id = location.trim_start_matches("/recording/");
    // Two minutes of real time for Twilio to list the call, at the tests' time scale.
    let ending = wait_status(&client, id, Duration::from_secs(60), |s| s != "calling").await;
    assert_eq!(ending, "failed");
    assert_eq!(fake.placed().len(), 1, "never asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_call_no_webhook_names_is_found_in_twilios_list_of_calls() {
    within(async {
        // The answer to Calls.json is lost, the phone is never answered (so no TwiML request names the call) and every
        // callback is lost: only Twilio's list of calls to the number can tell which call this is.
        let sandbox = faulty_sandbox("create_then_error=1,drop=1").await;
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::external(dir.path(), &sandbox)).await;
        let http = server.http();
        let id = http.start_call("201-555-0102").await;
        let done = http.wait_final(&id).await;
        // Adopted from the list, then reconciled: how it really ended, not "failed" for a call never placed.
        assert_eq!(done["status"], "no_answer", "{done}");
        let stored = storyline_testkit::db::call_sid_of(dir.path(), &id).await;
        assert_eq!(sandbox.report().first().map(|c| c.sid.clone()), Some(stored));
        server.stop().await;
    })
    .await;
}
