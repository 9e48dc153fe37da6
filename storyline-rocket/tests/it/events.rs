//! Events to the host service: a story's ending is POSTed, signed so `storyline_core::events::verify` accepts it,
//! retried after failures and after a restart with the same id, and never lost; every ending that is not a story
//! sends `story.ended`.

use std::time::Duration;

use serde_json::Value;
use storyline_core::events;
use storyline_testkit::events::{Delivery, EventSink};
use storyline_testkit::{Config, Server, within};

const SECRET: &str = "whsec_test_events";

/// Long enough for a story at test speed, and for a retry backed off a few times.
const PATIENCE: Duration = Duration::from_secs(45);

fn config(dir: &std::path::Path, sink: &EventSink) -> Config {
    Config::embedded(dir)
        .with("storyline.events_url", sink.url.as_str())
        .with("storyline.events_secret", SECRET)
}

fn verified(delivery: &Delivery) -> Value {
    let header = delivery.signature.as_deref().expect("a Storyline-Signature header");
    events::verify(SECRET, header, delivery.body.as_bytes(), events::DEFAULT_TOLERANCE)
        .unwrap_or_else(|e| panic!("the signature verifies: {e}"));
    assert!(
        events::verify(
            "whsec_another",
            header,
            delivery.body.as_bytes(),
            events::DEFAULT_TOLERANCE
        )
        .is_err(),
        "and only with the secret"
    );
    delivery.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_story_is_delivered_signed_and_retried_after_errors_with_the_same_id() {
    within(async {
        let sink = EventSink::start().await;
        sink.fail_next(2);
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(config(dir.path(), &sink)).await;
        let http = server.http();
        let id = http.start_call("201-555-0100").await;
        let delivered = sink.wait_for_story(&id, PATIENCE).await;
        let event = verified(&delivered);
        assert_eq!(event["type"], "story.completed");
        assert!(event["id"].as_str().is_some_and(|e| e.starts_with("evt_")), "{event}");
        assert!(event["created"].as_i64().is_some_and(|t| t > 1_700_000_000));
        assert_eq!(event["data"]["id"], id.as_str());
        assert_eq!(event["data"]["status"], "complete");
        assert_eq!(
            event["data"]["audio_url"],
            format!("{}/recording/{id}/audio", server.base)
        );
        assert!(event["data"]["duration_secs"].as_f64().is_some_and(|d| d > 15.0));

        let attempts: Vec<Delivery> = sink
            .deliveries()
            .into_iter()
            .filter(|d| d.json()["data"]["id"] == id.as_str())
            .collect();
        assert_eq!(
            attempts.iter().map(|d| d.answered).collect::<Vec<_>>(),
            [500, 500, 200],
            "retried after each 500"
        );
        for attempt in &attempts {
            assert_eq!(attempt.body, delivered.body, "every attempt is the same event");
            verified(attempt);
        }
        // Delivered once it was taken: no more attempts.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            sink.deliveries()
                .iter()
                .filter(|d| d.json()["data"]["id"] == id.as_str())
                .count(),
            3
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_host_never_took_is_delivered_after_a_restart() {
    within(async {
        let sink = EventSink::start().await;
        sink.fail_next(u32::MAX);
        let dir = tempfile::tempdir().expect("a data directory");
        let first = Server::start(config(dir.path(), &sink)).await;
        let id = first.http().start_call("201-555-0100").await;
        first
            .http()
            .wait_for(&id, "complete", |j| j["status"] == "complete")
            .await;
        // The host is down while the story ends: the event is tried and refused.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !sink.deliveries().iter().any(|d| d.json()["data"]["id"] == id.as_str()) {
            assert!(tokio::time::Instant::now() < deadline, "the event was tried");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let restart = Config {
            port: Some(first.port),
            ..first.config.clone()
        };
        first.stop().await;
        let refused = sink.deliveries();

        // The host recovers, and a new server process on the same data takes over.
        sink.fail_next(0);
        let second = Server::start(restart).await;
        let delivered = sink.wait_for_story(&id, PATIENCE).await;
        let event = verified(&delivered);
        assert_eq!(event["type"], "story.completed");
        assert_eq!(
            event["id"],
            refused[0].json()["id"],
            "the event delivered is the one refused before the restart"
        );
        second.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ending_that_is_not_a_story_sends_story_ended_with_its_status() {
    within(async {
        let sink = EventSink::start().await;
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(config(dir.path(), &sink)).await;
        let http = server.http();
        let endings = [
            ("201-555-0101", "busy"),
            ("201-555-0102", "no_answer"),
            ("201-555-0103", "failed"),
            ("201-555-0104", "hung_up"),
            ("201-555-0105", "no_recording"),
            ("201-555-0106", "machine"),
        ];
        let mut placed = Vec::new();
        for (number, ending) in endings {
            placed.push((http.start_call(number).await, ending));
        }
        for (id, ending) in &placed {
            let event = verified(&sink.wait_for_story(id, PATIENCE).await);
            assert_eq!(event["type"], "story.ended", "{ending}: {event}");
            assert_eq!(event["data"]["status"], *ending);
            assert_eq!(event["data"]["audio_url"], Value::Null);
        }
        let ids: std::collections::HashSet<String> = sink
            .deliveries()
            .iter()
            .map(|d| d.json()["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ids.len(), endings.len(), "one event per story");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ending_that_gives_way_to_another_before_it_is_sent_sends_the_last_one() {
    use storyline_testkit::fake_twilio::{AUTH_TOKEN, FakeTwilio, Running, figment};
    use storyline_testkit::twilio::{form, twilio_signature};
    within(async {
        let sink = EventSink::start().await;
        let fake = FakeTwilio::start().await;
        let dir = tempfile::tempdir().expect("a data directory");
        let port = storyline_testkit::ports::free_port();
        let server = Running::start(
            figment(dir.path(), port, Some(&fake))
                .merge(("storyline.events_url", sink.url.as_str()))
                .merge(("storyline.events_secret", SECRET)),
        )
        .await;
        let http = storyline_testkit::Http::new(&server.base);
        let id = http.start_call("201-555-0100").await;
        let call_sid = storyline_testkit::db::call_sid_of(dir.path(), &id).await;
        let token = AUTH_TOKEN.parse().expect("a token");
        let send = async |hook: &str, pairs: &[(&str, &str)]| {
            let form = form(pairs);
            let url = format!("{}/recording/{id}/{hook}", server.base);
            let res = http
                .post_webhook(&id, hook, &form, Some(&twilio_signature(&token, &url, &form)))
                .await;
            assert!(res.status().is_success(), "{hook}: {}", res.status());
        };
        // Twilio's call callback comes first: the call ended and no recording is known yet.
        send(
            "call_status",
            &[
                ("CallSid", call_sid.as_str()),
                ("CallStatus", "in-progress"),
                ("SequenceNumber", "0"),
            ],
        )
        .await;
        send(
            "call_status",
            &[
                ("CallSid", call_sid.as_str()),
                ("CallStatus", "completed"),
                ("SequenceNumber", "1"),
                ("CallDuration", "9"),
            ],
        )
        .await;
        http.wait_for(&id, "hung_up", |j| j["status"] == "hung_up").await;
        // Then the recording's: there was one, and it was empty.
        send(
            "recording_status_updated",
            &[
                ("CallSid", call_sid.as_str()),
                ("RecordingSid", "RE0123456789abcdef0123456789abcdef"),
                ("RecordingStatus", "absent"),
                ("RecordingDuration", "0"),
            ],
        )
        .await;
        http.wait_for(&id, "no_recording", |j| j["status"] == "no_recording")
            .await;

        let event = verified(&sink.wait_for_story(&id, PATIENCE).await);
        assert_eq!(event["type"], "story.ended");
        assert_eq!(
            event["data"]["status"], "no_recording",
            "the ending that held, not the first"
        );
        assert_eq!(sink.deliveries().len(), 1, "{:?}", sink.deliveries());
    })
    .await;
}
