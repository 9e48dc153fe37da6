//! Hourly limits on placing calls, per number and per client address, and the numbers the form refuses to call:
//! other countries, premium-rate and other lines that cost extra or do not ring a person. Nothing is placed when the
//! form refuses, and the storyteller is told why with the typed number kept.

use std::net::SocketAddr;

use reqwest::StatusCode;
use rocket::http::Status;
use storyline_testkit::fake_twilio::{FakeTwilio, figment, html_escape, local, post_form, recordings_count, submit};
use storyline_testkit::ports::free_port;
use storyline_testkit::{Config, Server, within};

const NUMBER_LIMIT_WORDS: &str =
    "We've called this number several times in the last hour. Please wait a little before trying again.";

fn remote(n: u8) -> Option<SocketAddr> {
    Some(SocketAddr::from(([203, 0, 113, n], 40000)))
}

/// Settings with the documented limits, and calls paced fast enough that the tests do not wait for their turns.
fn fast(dir: &std::path::Path, fake: &FakeTwilio) -> rocket::figment::Figment {
    figment(dir, free_port(), Some(fake)).merge(("storyline.calls_per_second", 200.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_is_called_at_most_five_times_an_hour() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake)).await;
    for n in 1..=5 {
        // From different addresses: only the number's own limit is in play.
        let (status, location) = submit(&client, "201-555-0100", remote(n)).await;
        assert_eq!(status, Status::SeeOther, "call {n}: {location}");
    }
    let (status, page) = submit(&client, "201-555-0100", remote(6)).await;
    assert_eq!(status, Status::TooManyRequests);
    assert!(page.contains(&html_escape(NUMBER_LIMIT_WORDS)), "{page}");
    assert!(page.contains("201-555-0100"), "the typed number is kept: {page}");
    assert_eq!(fake.placed().len(), 5, "the sixth call was not placed");
    assert_eq!(recordings_count(&client).await, 5);

    // The limit is the number's, however it is typed.
    let (status, _) = submit(&client, "+1 (201) 555-0100", remote(7)).await;
    assert_eq!(status, Status::TooManyRequests);
    // Other numbers are not affected.
    let (status, _) = submit(&client, "201-555-0101", remote(7)).await;
    assert_eq!(status, Status::SeeOther);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_asks_for_at_most_twenty_calls_an_hour() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake)).await;
    for n in 0..20 {
        let (status, location) = submit(&client, &format!("201-555-01{n:02}"), remote(1)).await;
        assert_eq!(status, Status::SeeOther, "call {n}: {location}");
    }
    let (status, page) = submit(&client, "201-555-0150", remote(1)).await;
    assert_eq!(status, Status::TooManyRequests);
    assert!(page.contains("calls from your connection in the last hour"), "{page}");
    assert!(page.contains("201-555-0150"), "the typed number is kept");
    assert_eq!(fake.placed().len(), 20);
    // Someone else is not affected.
    let (status, _) = submit(&client, "201-555-0150", remote(2)).await;
    assert_eq!(status, Status::SeeOther);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_across_a_restart() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    {
        let client = local(fast(dir.path(), &fake)).await;
        for n in 1..=5 {
            assert_eq!(submit(&client, "201-555-0102", remote(n)).await.0, Status::SeeOther);
        }
        client.terminate().await;
    }
    let client = local(fast(dir.path(), &fake)).await;
    let (status, page) = submit(&client, "201-555-0102", remote(9)).await;
    assert_eq!(status, Status::TooManyRequests, "{page}");
    assert_eq!(fake.placed().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trying_again_counts_against_the_same_limits() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path()).with("storyline.calls_per_number_per_hour", 5)).await;
        let http = server.http();
        let mut last = String::new();
        for _ in 1..=5 {
            // A busy line: each call ends without a story, so "Call me again" is offered.
            last = http.start_call("201-555-0101").await;
        }
        assert_eq!(http.wait_final(&last).await["status"], "busy");
        let res = http.call_again(&last).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let page = res.text().await.expect("a page");
        assert!(page.contains(&html_escape(NUMBER_LIMIT_WORDS)), "{page}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_recent_call_that_ended_without_a_story_can_be_called_again() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path())).await;
        let http = server.http();
        // A call going on, and a story told and stored: their pages offer no new call, and asking anyway places none.
        let told = http.start_call("201-555-0100").await;
        let res = http.call_again(&told).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "a call going on");
        assert_eq!(http.wait_final(&told).await["status"], "complete");
        let page = http
            .get(&format!("/recording/{told}"))
            .await
            .text()
            .await
            .expect("a page");
        assert!(!page.contains("Call me again"), "{page}");
        let res = http.call_again(&told).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "a stored story");
        let page = res.text().await.expect("a page");
        assert!(
            page.contains("To record a new story, enter your phone number."),
            "{page}"
        );
        // A missed call is offered, and called again.
        let missed = http.start_call("201-555-0101").await;
        assert_eq!(http.wait_final(&missed).await["status"], "busy");
        let page = http
            .get(&format!("/recording/{missed}"))
            .await
            .text()
            .await
            .expect("a page");
        assert!(page.contains("Call me again"), "{page}");
        let res = http.call_again(&missed).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let recordings = storyline_testkit::db::all_recordings(dir.path()).await;
        assert_eq!(
            recordings.len(),
            3,
            "one new call, for the missed one only: {recordings:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_nobody_answers_twice_in_a_row_rests_for_a_day() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path()).with("storyline.unanswered_in_a_row", 2)).await;
        let http = server.http();
        for _ in 0..2 {
            let id = http.start_call("201-555-0102").await;
            assert_eq!(http.wait_final(&id).await["status"], "no_answer");
        }
        let res = http.post_form("/", &[("tel", "201-555-0102")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let page = res.text().await.expect("a page");
        assert!(
            page.contains("nobody answered, so we'll let it rest for a day"),
            "{page}"
        );
        // Pressing "Call me again" on a missed call's page is the same request.
        let recordings = storyline_testkit::db::all_recordings(dir.path()).await;
        assert_eq!(recordings.len(), 2, "no third call: {recordings:?}");
        assert_eq!(
            http.call_again(&recordings[0].0).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        // Another number is called as usual.
        http.start_call("201-555-0100").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_is_called_at_most_ten_times_a_day() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake).merge(("storyline.calls_per_number_per_hour", 0))).await;
    for n in 1..=10 {
        let (status, location) = submit(&client, "201-555-0100", remote(n)).await;
        assert_eq!(status, Status::SeeOther, "call {n}: {location}");
    }
    let (status, page) = submit(&client, "201-555-0100", remote(11)).await;
    assert_eq!(status, Status::TooManyRequests);
    assert!(
        page.contains("as many times as we can today. Please try again tomorrow."),
        "{page}"
    );
    assert_eq!(fake.placed().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_service_budget_is_spent_everyone_is_told_we_are_very_busy() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake).merge(("storyline.service_calls_per_hour", 2))).await;
    for n in 1..=2 {
        let (status, location) = submit(&client, &format!("201-555-012{n}"), remote(n)).await;
        assert_eq!(status, Status::SeeOther, "call {n}: {location}");
    }
    // Someone else, another number: the whole service's budget is spent.
    let (status, page) = submit(&client, "201-555-0123", remote(3)).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(page.contains("We're very busy right now"), "{page}");
    assert!(page.contains("Please try again in an hour."), "{page}");
    assert!(page.contains("we haven't called your number"), "{page}");
    assert_eq!(fake.placed().len(), 2);
    // A day's budget says so.
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake).merge(("storyline.service_calls_per_day", 1))).await;
    assert_eq!(submit(&client, "201-555-0124", remote(1)).await.0, Status::SeeOther);
    let (status, page) = submit(&client, "201-555-0125", remote(2)).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(page.contains("We're very busy today"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_name_its_own_address() {
    let fake = FakeTwilio::start().await;
    let limited = |dir: &std::path::Path| fast(dir, &fake).merge(("storyline.calls_per_address_per_hour", 2));
    let claims = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];

    // By default no one is a trusted proxy: the peer address counts, whatever `X-Real-IP` or `X-Forwarded-For` claim.
    for header in ["X-Real-IP", "X-Forwarded-For"] {
        let dir = tempfile::tempdir().expect("a data directory");
        let client = local(limited(dir.path())).await;
        for (n, claimed) in claims.iter().enumerate() {
            let body = format!("tel=201-555-012{n}");
            let (status, _) = post_form(&client, "/", body, &[(header, claimed)], remote(1)).await;
            let expected = if n < 2 {
                Status::SeeOther
            } else {
                Status::TooManyRequests
            };
            assert_eq!(status, expected, "request {n} claiming {claimed} in {header}");
        }
    }

    // Behind a trusted proxy (the peer), each client it names counts on its own: in its header, or as the last hop
    // of `X-Forwarded-For` that is not the proxy (what the client itself wrote further left is not believed).
    for (header, value) in [
        ("X-Real-IP", "{real}"),
        ("X-Forwarded-For", "10.9.9.9, {real}, 203.0.113.1"),
    ] {
        let dir = tempfile::tempdir().expect("a data directory");
        let client = local(limited(dir.path()).merge(("storyline.trusted_proxies", "203.0.113.0/28"))).await;
        for (n, real) in claims.iter().enumerate() {
            let body = format!("tel=201-555-013{n}");
            let value = value.replace("{real}", real);
            let (status, _) = post_form(&client, "/", body, &[(header, &value)], remote(1)).await;
            assert_eq!(status, Status::SeeOther, "client {real} named in {header}");
        }
    }

    // A proxy's word is taken only from the proxy.
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(limited(dir.path()).merge(("storyline.trusted_proxies", "192.0.2.1"))).await;
    for (n, claimed) in claims.iter().enumerate() {
        let body = format!("tel=201-555-014{n}");
        let (status, _) = post_form(&client, "/", body, &[("X-Real-IP", claimed)], remote(1)).await;
        let expected = if n < 2 {
            Status::SeeOther
        } else {
            Status::TooManyRequests
        };
        assert_eq!(
            status, expected,
            "request {n} from an untrusted peer claiming {claimed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_twilio_refused_do_not_use_up_the_limit() {
    let fake = FakeTwilio::start().await;
    fake.refuse("+12015550104");
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake)).await;
    for n in 1..=6 {
        let (status, page) = submit(&client, "201-555-0104", remote(n)).await;
        assert_eq!(status, Status::UnprocessableEntity, "attempt {n}: {page}");
        assert!(page.contains("We can't call numbers in that country yet"), "{page}");
    }
    assert_eq!(recordings_count(&client).await, 0, "no half-made recording is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_outside_the_allowed_countries_are_refused_and_nothing_is_placed() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake)).await;
    // London, Jamaica (which shares +1 with the US), and a non-geographic freephone number.
    for typed in ["+44 20 7946 0018", "+1 876-555-0123", "+800 1234 5678"] {
        let (status, page) = submit(&client, typed, remote(1)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{typed}");
        assert!(
            page.contains(
                "We can't call numbers in that country. We can call numbers in the United States and Canada."
            ),
            "{typed}: {page}"
        );
        assert!(page.contains(&html_escape(typed)), "the typed number is kept: {typed}");
    }
    assert!(fake.placed().is_empty());
    assert_eq!(recordings_count(&client).await, 0);

    // The allow-list is a setting.
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake).merge(("storyline.allowed_countries", "US, gb"))).await;
    assert_eq!(submit(&client, "+44 20 7946 0018", remote(1)).await.0, Status::SeeOther);
    assert_eq!(
        submit(&client, "+1 416-555-0142", remote(1)).await.0,
        Status::UnprocessableEntity
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premium_toll_free_and_forwarding_numbers_are_refused_in_plain_words() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(fast(dir.path(), &fake).merge(("storyline.allowed_countries", "US,CA,GB,AU,DE"))).await;
    for (typed, words) in [
        (
            "1-900-555-0123",
            "That's a premium-rate number, which costs extra to call.",
        ),
        (
            "+44 90 1234 5678",
            "That's a premium-rate number, which costs extra to call.",
        ),
        (
            "+61 1300 123 456",
            "That's a shared-cost number, which costs extra to call.",
        ),
        (
            "1-800-555-0123",
            "That's a toll-free number, which usually reaches a business.",
        ),
        ("1-500-555-0123", "That number forwards to other lines"),
        ("+44 70 1234 5678", "That number forwards to other lines"),
        ("+44 55 1234 5678", "That number forwards to other lines"),
        ("+44 76 4012 3456", "That's a pager number."),
        ("+49 177 991234567", "That number reaches a voicemail service."),
    ] {
        let (status, page) = submit(&client, typed, remote(1)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{typed}");
        assert!(page.contains(&html_escape(words)), "{typed}: {page}");
        assert!(page.contains("Please give the number of your own phone, mobile or landline."));
    }
    assert!(fake.placed().is_empty(), "nothing was placed");
    assert_eq!(recordings_count(&client).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sandbox_demo_number_is_still_called() {
    let dir = tempfile::tempdir().expect("a data directory");
    // No credentials: the embedded sandbox places the calls.
    let client = local(figment(dir.path(), free_port(), None).merge(("storyline.calls_per_second", 200.0))).await;
    for last in 0..=8 {
        let typed = format!("+1 201-555-010{last}");
        let (status, location) = submit(&client, &typed, remote(1)).await;
        assert_eq!(status, Status::SeeOther, "{typed}: {location}");
    }
    client.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_to_start_with_unusable_guard_settings() {
    let fake = FakeTwilio::start().await;
    for (key, value) in [
        (
            "storyline.allowed_countries",
            rocket::figment::value::Value::from("US,XX"),
        ),
        ("storyline.allowed_countries", " , ".into()),
        ("storyline.calls_per_second", 0.0.into()),
        ("storyline.calls_per_second", (-1.0).into()),
        ("storyline.trusted_proxies", "10.0.0.0/8,the-proxy".into()),
    ] {
        let dir = tempfile::tempdir().expect("a data directory");
        let started = rocket::local::asynchronous::Client::untracked(storyline_testkit::server::standalone(
            figment(dir.path(), free_port(), Some(&fake)).merge((key, value.clone())),
        ))
        .await;
        match started {
            // Looking at the error marks it handled (Rocket panics on an unhandled launch error).
            Err(e) => assert!(
                matches!(e.kind(), rocket::error::ErrorKind::FailedFairings(_)),
                "{key}: {e}"
            ),
            Ok(_) => panic!("{key} = {value:?} must stop the server from starting"),
        }
    }
}
