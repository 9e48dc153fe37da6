//! Nothing is lost: the real server binary, SIGKILLed at random moments during calls and started again, against a
//! sandbox that duplicates, delays, reorders and drops callbacks, answers media 404 for a while, fails REST requests in
//! bursts and times out TwiML requests. Every story that was spoken must end stored and playable.

use std::time::Duration;

use storyline_sandbox::Faults;
use storyline_testkit::chaos::{Chaos, NUMBERS, judge, seed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_survive_sigkill_and_twilio_faults() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let faults = Faults::parse(&format!(
        "duplicate=0.3,delay=0.3,max_delay=3,drop=0.15,media_404=2,rest_errors=0.05,twiml_timeout=0.03,seed={seed}"
    ))
    .expect("fault spec");
    let mut chaos = Chaos::start(
        env!("CARGO_BIN_EXE_storyline-rocket").as_ref(),
        dir.path(),
        faults,
        20.0,
        20,
    )
    .await;

    let mut placed = Vec::new();
    for round in 0..2 {
        for (number, _) in NUMBERS {
            // Twilio may refuse in a fault burst (the storyteller is told to try again); a person would try again.
            for _ in 0..5 {
                if let Some(p) = chaos.place(number).await {
                    placed.push(p);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        // Kill the server at a random moment while these calls ring, talk and record, and bring it back.
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(rng.u64(300..2500))).await;
            chaos.kill();
            tokio::time::sleep(Duration::from_millis(rng.u64(100..1500))).await;
            chaos.spawn_server().await;
        }
        let _ = round;
    }
    assert!(
        placed.len() >= NUMBERS.len(),
        "most calls could be placed: {}",
        placed.len()
    );

    let finals = chaos.wait_final(&placed, Duration::from_secs(120)).await;
    let verdict = judge(&chaos, &placed, &finals).await;
    println!("{verdict:#?}");
    assert!(verdict.stories_spoken > 0, "the run told stories");
    assert!(
        verdict.stories_lost.is_empty(),
        "stories lost: {:#?} (logs in {}; seed {seed})",
        verdict.stories_lost,
        dir.path().display()
    );
    assert!(
        verdict.wrong_final_states.is_empty(),
        "wrong endings: {:#?} (seed {seed})",
        verdict.wrong_final_states
    );
    assert_eq!(verdict.stories_stored, verdict.stories_spoken);
}

/// Every status and recording callback lost (the sandbox delivers none; only the TwiML requests get through): only
/// reconciliation through Twilio's REST API can learn how each call ended and that its recording exists. Deterministic:
/// nothing is left to chance, and without reconciliation every one of these would stay where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_alone_ends_every_call_when_every_callback_is_lost() {
    use storyline_testkit::{Config, Server, faulty_sandbox, within};
    within(async {
        let sandbox = faulty_sandbox("drop=1").await;
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::external(dir.path(), &sandbox)).await;
        let http = server.http();
        let mut calls = tokio::task::JoinSet::new();
        for (typed, ending) in [
            ("201-555-0100", "complete"),
            ("201-555-0101", "busy"),
            ("201-555-0102", "no_answer"),
            ("201-555-0104", "hung_up"),
        ] {
            let http = http.clone();
            calls.spawn(async move {
                let id = http.start_call(typed).await;
                let done = http.wait_final(&id).await;
                assert_eq!(done["status"], ending, "{typed}: {done}");
            });
        }
        while let Some(done) = calls.join_next().await {
            done.expect("each call ends as it really ended");
        }
        server.stop().await;
    })
    .await;
}
