//! A storyteller deletes their story from its page (with a confirmation step), a host service through the API, or
//! the retention setting when its time is up: the audio leaves our storage, Twilio's copy is deleted, the number is
//! erased, the host service hears `story.deleted`, and the page, the status and the API say it was deleted.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use storyline_sandbox::{Sandbox, SandboxConfig};
use storyline_testkit::db::{call_sid_of, recording};
use storyline_testkit::events::EventSink;
use storyline_testkit::http::header;
use storyline_testkit::twilio::sandbox_recordings;
use storyline_testkit::wait::Waiter;
use storyline_testkit::{Config, Server, within};

const KEY: &str = "sk_test_0123456789abcdef0123456789";

/// The stored audio files of a data directory.
fn audio_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("audio"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".wav"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_deleted_from_its_page_is_gone_from_our_storage_and_twilios() {
    within(async {
        let sandbox = Sandbox::start(SandboxConfig {
            speed: 20.0,
            ..SandboxConfig::default()
        })
        .await
        .expect("the sandbox starts");
        let sink = EventSink::start().await;
        let dir = tempfile::tempdir().expect("a data directory");
        // Twilio's copy is kept after storing, so deleting the story must be what deletes it.
        let server = Server::start(
            Config::external(dir.path(), &sandbox)
                .with("storyline.keep_twilio_copy", true)
                .with("storyline.api_key", KEY)
                .with("storyline.events_url", sink.url.as_str())
                .with("storyline.events_secret", "whsec_test"),
        )
        .await;
        let http = server.http();
        // The browser that asks for the call keeps its cookie: only it may delete the story.
        let asked = http.post_form("/", &[("tel", "201-555-0100")]).await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        let cookie = header(&asked, SET_COOKIE)
            .split(';')
            .next()
            .expect("a cookie")
            .to_owned();
        let id = header(&asked, LOCATION).trim_start_matches("/recording/").to_owned();
        let mine = |path: String| {
            let (http, cookie) = (http.clone(), cookie.clone());
            async move {
                http.client
                    .get(http.url(&path))
                    .header("Cookie", cookie)
                    .send()
                    .await
                    .expect("answered")
            }
        };
        assert_eq!(http.wait_final(&id).await["status"], "complete");
        let call_sid = call_sid_of(dir.path(), &id).await;
        assert_eq!(
            sandbox_recordings(&sandbox, &call_sid).await.len(),
            1,
            "Twilio's copy is kept so far"
        );
        assert_eq!(audio_files(dir.path()).len(), 1);

        // The page offers it to the browser that asked, not to others with the link; following it only asks.
        let page = mine(format!("/recording/{id}")).await.text().await.expect("a page");
        assert!(page.contains(&format!(r#"href="/recording/{id}/delete""#)), "{page}");
        let theirs = http
            .get(&format!("/recording/{id}"))
            .await
            .text()
            .await
            .expect("a page");
        assert!(!theirs.contains("/delete"), "{theirs}");
        assert_eq!(
            http.get(&format!("/recording/{id}/delete")).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            http.post_form(&format!("/recording/{id}/delete"), &[]).await.status(),
            StatusCode::FORBIDDEN,
            "someone else with the link cannot delete it"
        );
        let confirm = mine(format!("/recording/{id}/delete")).await;
        assert_eq!(confirm.status(), StatusCode::OK);
        let confirm = confirm.text().await.expect("a page");
        assert!(
            confirm.contains("Delete this story?") && confirm.contains("can't be undone"),
            "{confirm}"
        );
        assert_eq!(
            http.get(&format!("/recording/{id}/status")).await.status(),
            StatusCode::OK,
            "nothing deleted yet"
        );
        // Another site cannot delete it.
        let forged = http
            .client
            .post(http.url(&format!("/recording/{id}/delete")))
            .header("Origin", "https://evil.example")
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("answered");
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            http.get(&format!("/recording/{id}/status")).await.status(),
            StatusCode::OK,
            "nothing deleted"
        );

        let delete = || {
            http.client
                .post(http.url(&format!("/recording/{id}/delete")))
                .header("Origin", &http.base)
                .header("Cookie", &cookie)
                .send()
        };
        let res = delete().await.expect("answered");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let page = http.get(&format!("/recording/{id}")).await;
        assert_eq!(page.status(), StatusCode::GONE);
        assert!(page.text().await.expect("a page").contains("This story was deleted"));
        let status = http.get(&format!("/recording/{id}/status")).await;
        assert_eq!(status.status(), StatusCode::GONE);
        assert_eq!(
            status.json::<serde_json::Value>().await.expect("JSON")["error"],
            "deleted"
        );
        assert_eq!(
            http.get(&format!("/recording/{id}/audio")).await.status(),
            StatusCode::GONE
        );
        let api = http
            .client
            .get(http.url(&format!("/api/v1/stories/{id}")))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("answered");
        assert_eq!(api.status(), StatusCode::GONE);
        // Deleting twice is the same.
        assert_eq!(
            http.post_form(&format!("/recording/{id}/delete"), &[]).await.status(),
            StatusCode::SEE_OTHER
        );

        // Our audio, Twilio's copy and the number go; the host service is told.
        let twilio_keeps = || async {
            let listed = sandbox_recordings(&sandbox, &call_sid).await;
            listed
                .into_iter()
                .filter(|r| r["status"] != "deleted")
                .collect::<Vec<_>>()
        };
        let waiter = Waiter::new(Duration::from_secs(30), Duration::from_millis(100));
        while !(audio_files(dir.path()).is_empty() && twilio_keeps().await.is_empty()) {
            assert!(
                waiter.again().await,
                "audio {:?}, Twilio's {:?}",
                audio_files(dir.path()),
                sandbox_recordings(&sandbox, &call_sid).await
            );
        }
        let row = recording(dir.path(), &id).await.expect("the row stays, marked");
        assert!(!row.phone.contains("2015550100"), "the number is erased: {}", row.phone);
        let waiter = Waiter::new(Duration::from_secs(30), Duration::from_millis(100));
        while !sink
            .deliveries()
            .iter()
            .any(|d| d.answered == 200 && d.json()["type"] == "story.deleted")
        {
            assert!(waiter.again().await, "no story.deleted: {:?}", sink.deliveries());
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_service_deletes_a_story_only_once_its_call_has_ended() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path()).with("storyline.api_key", KEY)).await;
        let http = server.http();
        let delete = |id: String| {
            let http = http.clone();
            async move {
                http.client
                    .delete(http.url(&format!("/api/v1/stories/{id}")))
                    .bearer_auth(KEY)
                    .send()
                    .await
                    .expect("answered")
            }
        };
        // A long story: the call is going on for a while.
        let id = http.start_call("201-555-0108").await;
        http.wait_for(&id, "the recording", |j| j["status"] == "recording")
            .await;
        let res = delete(id.clone()).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(
            res.json::<serde_json::Value>().await.expect("JSON")["error"]["code"],
            "call_in_progress"
        );
        let page = http.post_form(&format!("/recording/{id}/delete"), &[]).await;
        assert_eq!(
            page.status(),
            StatusCode::FORBIDDEN,
            "an API story has no storyteller's browser to delete it from"
        );
        assert_eq!(http.wait_final(&id).await["status"], "complete");
        let res = delete(id.clone()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.json::<serde_json::Value>().await.expect("JSON")["status"],
            "deleted"
        );
        assert_eq!(delete(id.clone()).await.status(), StatusCode::OK, "again: the same");
        assert_eq!(
            delete("AAAAAAAAAAAAAAAAAAAAAA".into()).await.status(),
            StatusCode::NOT_FOUND
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_are_deleted_when_the_retention_setting_says() {
    within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = Server::start(Config::embedded(dir.path()).with("storyline.keep_stories_days", 30)).await;
        let http = server.http();
        let (old, recent) = (
            http.start_call("201-555-0101").await,
            http.start_call("201-555-0100").await,
        );
        http.wait_final(&old).await;
        assert_eq!(http.wait_final(&recent).await["status"], "complete");
        // One of them ended 31 days ago.
        let pool = storyline_testkit::db::open(dir.path()).await;
        let month = 31 * 24 * 3600 * 1000_i64;
        sqlx::query("UPDATE storyline_recordings SET finished_at = finished_at - ? WHERE id = ?")
            .bind(month)
            .bind(&old)
            .execute(&pool)
            .await
            .expect("aged");
        pool.close().await;
        let waiter = Waiter::new(Duration::from_secs(30), Duration::from_millis(200));
        while http.get(&format!("/recording/{old}")).await.status() != StatusCode::GONE {
            assert!(waiter.again().await, "the old story was never deleted");
        }
        assert_eq!(
            http.get(&format!("/recording/{recent}")).await.status(),
            StatusCode::OK,
            "the recent one stays"
        );
        server.stop().await;
    })
    .await;
}
