//! Storyline mounted at `/stories` inside a host's Rocket that has its own routes, catchers and headers: the whole
//! flow works under the mount path (form, signed webhooks, audio, live status), and the host's own pages, 404 and
//! headers stay the host's.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use storyline_rocket::Storyline;
use storyline_testkit::audio::{check_story_audio, sample_story_length};
use storyline_testkit::http::header;
use storyline_testkit::server::launch;
use storyline_testkit::{Http, settings, within};

/// A host service with its own home page, 404 and header, and Storyline under `/stories`.
fn host(data_dir: &std::path::Path) -> rocket::Rocket<rocket::Build> {
    storyline_testkit::server::host(
        settings::isolated(data_dir, 0).merge(("storyline.max_story_seconds", 45)),
        "/stories",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_told_through_storyline_mounted_in_a_host_is_stored_and_the_host_keeps_its_own_pages() {
    within(async {
        let data = tempfile::tempdir().expect("a data directory");
        let launched = launch(host(data.path())).await.expect("the host starts");
        let origin = format!("http://127.0.0.1:{}", launched.port);
        let http = Http::mounted(&origin, "/stories");

        // The landing page lives at the mount path, and every link on it stays under it.
        let res = http.get("/").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(header(&res, "Content-Security-Policy").contains("default-src 'self'"));
        let page = res.text().await.expect("the landing page");
        assert!(page.contains(r#"action="/stories""#), "{page}");
        assert!(page.contains(r#"href="/stories/static/app.css?v="#), "{page}");
        let css = http.get("/static/app.css").await;
        assert_eq!(css.status(), StatusCode::OK);
        // The style sheet's fonts resolve under the mount path.
        let font = http.get("/static/fonts/fraunces-latin-400-normal.woff2").await;
        assert_eq!(font.status(), StatusCode::OK);
        assert!(page.contains(r#"href="/stories/static/fonts/fraunces-latin-400-normal.woff2""#));

        // The form places the call and redirects under the mount path; the sandbox's signed webhooks reach it there.
        let id = http.start_call("201-555-0100").await;
        let events = http.get(&format!("/recording/{id}/events")).await;
        assert_eq!(events.status(), StatusCode::OK);
        assert!(header(&events, CONTENT_TYPE).starts_with("text/event-stream"));
        let recording_page = http
            .get(&format!("/recording/{id}"))
            .await
            .text()
            .await
            .expect("a page");
        assert!(
            recording_page.contains(r#"href="/stories""#),
            "links lead back to the mount path"
        );
        let done = http.wait_for(&id, "complete", |j| j["status"] == "complete").await;
        assert!(
            done["audio_url"]
                .as_str()
                .is_some_and(|u| u == format!("/stories/recording/{id}/audio")),
            "{done}"
        );
        check_story_audio(&http, &done, sample_story_length("+12015550100")).await;
        // The live stream of a finished story says so at once.
        let mut stream = http.get(&format!("/recording/{id}/events")).await;
        let mut received = String::new();
        while !received.contains("\"complete\"") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
                .await
                .expect("the stream answers")
                .expect("the stream reads");
            let Some(chunk) = chunk else { break };
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(received.contains("event:status"), "{received}");
        assert!(received.contains("\"complete\""), "{received}");

        // Storyline's own 404 under its path; the host's everywhere else, with the host's headers only.
        let ours = http.get("/recording/not-a-recording").await;
        assert_eq!(ours.status(), StatusCode::NOT_FOUND);
        assert!(
            ours.text()
                .await
                .expect("a page")
                .contains("We couldn't find that recording")
        );
        let site = Http::new(&origin);
        let home = site.get("/").await;
        assert_eq!(home.status(), StatusCode::OK);
        assert_eq!(header(&home, "X-Host"), "yes");
        assert_eq!(
            header(&home, "Content-Security-Policy"),
            "",
            "the host's pages keep the host's headers"
        );
        assert_eq!(home.text().await.expect("a page"), "The host's own home page");
        let missing = site.get("/no-such-page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&missing, "Content-Security-Policy"), "");
        // Rocket's own Shield answers `SAMEORIGIN` for the host; Storyline's `DENY` is for its pages only.
        assert_ne!(header(&missing, "X-Frame-Options"), "DENY");
        assert_eq!(missing.text().await.expect("a page"), "The host's own 404");
        // A path that only starts like the mount path is the host's.
        let lookalike = site.get("/storyteller").await;
        assert_eq!(lookalike.text().await.expect("a page"), "The host's own 404");
        assert!(
            site.get("/robots.txt").await.status() == StatusCode::NOT_FOUND,
            "robots.txt is the host's to serve"
        );

        // The retry form posts under the mount path too.
        let busy = http.start_call("201-555-0101").await;
        http.wait_for(&busy, "busy", |j| j["status"] == "busy").await;
        let again = http
            .client
            .post(http.url(&format!("/recording/{busy}/retry")))
            .header("Origin", &origin)
            .send()
            .await
            .expect("retry");
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert!(header(&again, LOCATION).starts_with("/stories/recording/"));

        launched.shutdown.notify();
        if let Some(sandbox) = launched.sandbox {
            sandbox.stop();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_can_give_storyline_its_own_database_pool() {
    within(async {
        let data = tempfile::tempdir().expect("a data directory");
        let host_db = tempfile::tempdir().expect("the host's database directory");
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(host_db.path().join("host.sqlite3"))
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("the host's pool");
        sqlx::query("CREATE TABLE host_things (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .expect("the host's own table");
        let figment = settings::isolated(data.path(), 0);
        let rocket = rocket::custom(figment).attach(Storyline::mount_at("/stories").with_pool(pool.clone()));
        let launched = launch(rocket).await.expect("the host starts");
        let http = Http::mounted(&format!("http://127.0.0.1:{}", launched.port), "/stories");
        let id = http.start_call("201-555-0101").await;
        http.wait_for(&id, "busy", |j| j["status"] == "busy").await;

        let (status,): (String,) = sqlx::query_as("SELECT status FROM storyline_recordings WHERE id = ?")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .expect("the story is in the host's database");
        assert_eq!(status, "busy");
        let (things,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM host_things")
            .fetch_one(&pool)
            .await
            .expect("the host's table is untouched");
        assert_eq!(things, 0);
        assert!(
            !data.path().join("storyline.sqlite3").exists(),
            "no database of its own in the data directory"
        );
        launched.shutdown.notify();
        if let Some(sandbox) = launched.sandbox {
            sandbox.stop();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_the_events_work_under_the_mount_path() {
    use storyline_testkit::events::EventSink;
    within(async {
        let sink = EventSink::start().await;
        let data = tempfile::tempdir().expect("a data directory");
        let figment = settings::isolated(data.path(), 0)
            .merge(("storyline.api_key", "sk_mounted"))
            .merge(("storyline.events_url", sink.url.as_str()))
            .merge(("storyline.events_secret", "whsec_mounted"));
        let launched = launch(storyline_testkit::server::host(figment, "/stories"))
            .await
            .expect("the host starts");
        let origin = format!("http://127.0.0.1:{}", launched.port);
        let http = Http::mounted(&origin, "/stories");

        let refused = http
            .client
            .post(http.url("/api/v1/stories"))
            .send()
            .await
            .expect("POST");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = refused.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "unauthorized");
        let missing = http
            .client
            .get(http.url("/api/v1/nothing-here"))
            .send()
            .await
            .expect("GET");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = missing.json().await.expect("a JSON error under /api");
        assert_eq!(body["error"]["code"], "not_found");

        let created = http
            .client
            .post(http.url("/api/v1/stories"))
            .bearer_auth("sk_mounted")
            .json(&serde_json::json!({"phone": "201-555-0100", "reference": "r-mounted"}))
            .send()
            .await
            .expect("POST");
        assert_eq!(created.status(), StatusCode::CREATED);
        let story: serde_json::Value = created.json().await.expect("the story");
        let id = story["id"].as_str().expect("an id").to_owned();
        assert_eq!(story["page_url"], format!("{origin}/stories/recording/{id}"));

        let event = sink.wait_for_story(&id, Duration::from_secs(45)).await;
        let header = event.signature.clone().expect("signed");
        storyline_core::events::verify(
            "whsec_mounted",
            &header,
            event.body.as_bytes(),
            storyline_core::events::DEFAULT_TOLERANCE,
        )
        .expect("the signature verifies");
        let event = event.json();
        assert_eq!(
            event["data"]["audio_url"],
            format!("{origin}/stories/recording/{id}/audio")
        );
        assert_eq!(event["data"]["reference"], "r-mounted");
        let audio = http
            .client
            .get(event["data"]["audio_url"].as_str().unwrap())
            .send()
            .await
            .expect("GET");
        assert_eq!(audio.status(), StatusCode::OK);

        launched.shutdown.notify();
        if let Some(sandbox) = launched.sandbox {
            sandbox.stop();
        }
    })
    .await;
}
