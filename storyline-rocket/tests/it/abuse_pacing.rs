//! Calls are placed no faster than the Twilio account's calls per second, however many storytellers press the button
//! at once; a storyteller whose call must wait more than a few seconds gets the recording page at once, and the call is
//! placed (or, if Twilio refuses it then, ended as `failed`) when its turn comes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::http::Status;
use storyline_testkit::fake_twilio::{FakeTwilio, figment, local, recordings_count, submit, wait_status};
use storyline_testkit::ports::free_port;

/// The server spaces the moments it sends calls; the test sees when they arrive, which a loaded 2-core machine can
/// delay by different amounts (a quarter of a second has been seen). Without pacing the calls would arrive within a
/// few milliseconds of each other, so each gap must still be at least half the interval, and the whole span holds
/// the rate within a small allowance.
const JITTER: Duration = Duration::from_millis(250);

fn remote(n: u8) -> Option<SocketAddr> {
    Some(SocketAddr::from(([203, 0, 113, n], 40000)))
}

/// The longest the form waits for a call's turn before it answers (Storyline's `abuse::HOLD_FORM_AT_MOST`).
const HOLD_FORM_AT_MOST: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_asked_for_at_once_are_placed_no_faster_than_the_calls_per_second() {
    const CALLS: usize = 10;
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client =
        Arc::new(local(figment(dir.path(), free_port(), Some(&fake)).merge(("storyline.calls_per_second", 2.0))).await);

    let asked = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..CALLS {
        let client = Arc::clone(&client);
        requests.spawn(async move {
            let typed = format!("201-555-01{n:02}");
            let (status, location) = submit(&client, &typed, remote(n as u8)).await;
            assert_eq!(status, Status::SeeOther, "{typed}: {location}");
            (format!("+120155501{n:02}"), location, Instant::now())
        });
    }
    let answered: Vec<(String, String, Instant)> = requests.join_all().await;

    let deadline = Instant::now() + Duration::from_secs(15);
    while fake.placed().len() < CALLS {
        assert!(
            Instant::now() < deadline,
            "only {} of {CALLS} calls were placed",
            fake.placed().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let placed = fake.placed();
    assert_eq!(placed.len(), CALLS, "each call was placed once");
    for pair in placed.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap + JITTER >= Duration::from_millis(500),
            "two calls only {gap:?} apart"
        );
    }
    let span = placed[CALLS - 1].at - placed[0].at;
    assert!(
        span + Duration::from_millis(150) >= Duration::from_millis(500) * (CALLS as u32 - 1),
        "{CALLS} calls within {span:?}"
    );

    // Waits of 0, 0.5 … 4.5 s: the three longer than the form holds were answered before their call was placed.
    let mut answered_first = 0;
    for (e164, location, at) in &answered {
        let call = placed.iter().find(|p| &p.to == e164).expect("every number was called");
        assert!(
            at.duration_since(asked) <= HOLD_FORM_AT_MOST + Duration::from_secs(2),
            "{e164} waited {:?} for the form's answer",
            at.duration_since(asked)
        );
        if *at + Duration::from_millis(250) < call.at {
            answered_first += 1;
            assert!(location.starts_with("/recording/"), "{location}");
        }
    }
    assert_eq!(answered_first, 3, "the calls beyond the form's wait were queued");

    // Each recording learns its call (a queued one just after Twilio answered the request that placed it).
    for (_, location, _) in &answered {
        let id = location.trim_start_matches("/recording/");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let row = storyline_testkit::fake_twilio::stored(&client, id)
                .await
                .expect("the recording exists");
            if row.call_sid.is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "{id} has its call");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_call_that_twilio_refuses_ends_as_failed() {
    let fake = FakeTwilio::start().await;
    fake.refuse("+12015550121");
    let dir = tempfile::tempdir().expect("a data directory");
    // One call every four seconds: the second waits longer than the form holds.
    let client = local(figment(dir.path(), free_port(), Some(&fake)).merge(("storyline.calls_per_second", 0.25))).await;
    assert_eq!(submit(&client, "201-555-0120", remote(1)).await.0, Status::SeeOther);

    let asked = Instant::now();
    let (status, location) = submit(&client, "201-555-0121", remote(1)).await;
    assert_eq!(status, Status::SeeOther, "{location}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "the form did not wait for the queue"
    );
    let id = location.trim_start_matches("/recording/").to_owned();
    assert_eq!(
        wait_status(&client, &id, Duration::ZERO, |_| true).await,
        "calling",
        "waiting its turn"
    );

    let ended = wait_status(&client, &id, Duration::from_secs(10), |s| s != "calling").await;
    assert_eq!(ended, "failed", "Twilio's refusal ends the recording honestly");
    assert_eq!(fake.placed().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_longer_than_a_minute_is_refused_and_keeps_nothing() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    // One call every thirty seconds: the first goes at once, the next two wait 30 and 60 s, the fourth would wait 90.
    let client =
        local(figment(dir.path(), free_port(), Some(&fake)).merge(("storyline.calls_per_second", 1.0 / 30.0))).await;
    for n in 0..3 {
        let (status, location) = submit(&client, &format!("201-555-013{n}"), remote(1)).await;
        assert_eq!(status, Status::SeeOther, "call {n}: {location}");
    }
    let (status, page) = submit(&client, "201-555-0133", remote(1)).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(
        page.contains("We're placing a lot of calls right now. Please try again in a minute."),
        "{page}"
    );
    assert!(page.contains("201-555-0133"), "the typed number is kept");
    assert_eq!(recordings_count(&client).await, 3, "the refused call left no recording");
    assert_eq!(fake.placed().len(), 1, "only the first call's turn has come");
}
