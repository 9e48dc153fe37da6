//! The recording page's live stream as a shared resource: a few streams per recording and per client address (the
//! next is refused, and the page polls instead), each for a limited time (the page reconnects), and a story whose
//! saving keeps failing is not followed for ever: its page says, honestly, to come back later.

use std::net::SocketAddr;
use std::time::Duration;

use rocket::http::Status;
use rocket::local::asynchronous::Client;
use storyline_testkit::fake_twilio::{FakeTwilio, figment, local, submit};
use storyline_testkit::ports::free_port;
use storyline_testkit::settings::without_limits;
use storyline_testkit::{Config, Server, faulty_sandbox, within};

fn remote(n: u32) -> Option<SocketAddr> {
    Some(SocketAddr::from((
        [198, 51, 100, (n % 250) as u8],
        40000 + (n / 250) as u16,
    )))
}

async fn server(fake: &FakeTwilio, dir: &std::path::Path) -> Client {
    local(without_limits(figment(dir, free_port(), Some(fake))).merge(("storyline.calls_per_second", 1000.0))).await
}

async fn recording(client: &Client, n: u32) -> String {
    let (status, location) = submit(client, &format!("201-555-{:04}", 2000 + n), remote(n)).await;
    assert_eq!(status, Status::SeeOther, "{location}");
    location.trim_start_matches("/recording/").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_recording_and_each_address_holds_only_a_few_live_streams() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let id = recording(&client, 0).await;
    let events = format!("/recording/{id}/events");

    let mut open = Vec::new();
    for n in 0..10 {
        let res = client
            .get(events.clone())
            .remote(remote(100 + n).unwrap())
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Ok, "stream {n}");
        open.push(res);
    }
    let refused = client.get(events.clone()).remote(remote(200).unwrap()).dispatch().await;
    assert_eq!(
        refused.status(),
        Status::TooManyRequests,
        "the recording's share is open"
    );
    // The status JSON, which a refused page polls, still answers.
    let polled = client.get(format!("/recording/{id}/status")).dispatch().await;
    assert_eq!(polled.status(), Status::Ok);
    drop(open.pop());
    let again = client.get(events.clone()).remote(remote(200).unwrap()).dispatch().await;
    assert_eq!(again.status(), Status::Ok, "a closed stream is given back");
    drop(open);
    drop(again);

    // One address: twenty streams over any recordings, then no more.
    let mut ids = Vec::new();
    for n in 1..=21 {
        ids.push(recording(&client, n).await);
    }
    let one = remote(7).unwrap();
    let mut open = Vec::new();
    for id in &ids[..20] {
        let res = client
            .get(format!("/recording/{id}/events"))
            .remote(one)
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Ok);
        open.push(res);
    }
    let refused = client
        .get(format!("/recording/{}/events", ids[20]))
        .remote(one)
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::TooManyRequests, "the address's share is open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_ends_after_its_lifetime_and_tells_the_page_to_reconnect() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    // Ten minutes of real time in one second.
    let client = local(
        without_limits(figment(dir.path(), free_port(), Some(&fake))).merge(("storyline.test_time_scale", 600.0)),
    )
    .await;
    let id = recording(&client, 0).await;
    let res = client.get(format!("/recording/{id}/events")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let body = tokio::time::timeout(Duration::from_secs(20), res.into_string())
        .await
        .expect("the stream ends by itself")
        .unwrap_or_default();
    assert!(body.contains("retry:2000"), "{body}");
    assert!(body.contains("event:status"), "{body}");
    assert!(body.contains(r#""status":"calling""#), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_whose_saving_keeps_failing_says_so_and_is_stored_once_it_can_be() {
    within(async {
        // Twilio's media answers 404 for a long while after the recording's callback: every copy fails until then.
        let sandbox = faulty_sandbox("media_404=300").await;
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::external(dir.path(), &sandbox)).await;
        let http = server.http();
        let id = http.start_call("201-555-0100").await;
        let delayed = http.wait_for(&id, "a delayed save", |j| j["delayed"] == true).await;
        assert_eq!(delayed["status"], "processing", "{delayed}");
        assert_eq!(delayed["final"], false, "{delayed}");
        assert_eq!(delayed["heading"], "Your story is taking longer to save", "{delayed}");
        let page = http
            .get(&format!("/recording/{id}"))
            .await
            .text()
            .await
            .expect("a page");
        assert!(page.contains("Come back to this link later"), "{page}");
        assert!(page.contains(r#"data-delayed="true""#), "{page}");
        assert!(
            !page.contains(r#"http-equiv="refresh""#),
            "a delayed page does not reload itself: {page}"
        );
        // The live stream says so once, and ends, instead of streaming for ever.
        let stream = tokio::time::timeout(Duration::from_secs(10), http.get(&format!("/recording/{id}/events")))
            .await
            .expect("answered");
        let body = tokio::time::timeout(Duration::from_secs(10), stream.text())
            .await
            .expect("the stream ends")
            .expect("a body");
        assert!(body.contains(r#""delayed":true"#), "{body}");
        // Nothing is lost: once Twilio serves the media, the story is stored.
        let done = http.wait_final(&id).await;
        assert_eq!(done["status"], "complete", "{done}");
        assert_eq!(done["delayed"], false, "{done}");
        server.stop().await;
    })
    .await;
}
