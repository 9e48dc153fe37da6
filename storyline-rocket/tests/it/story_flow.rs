//! The story flow end to end over real HTTP: a person types a sandbox number, the server calls it through its own
//! sandbox, and every documented ending reaches the status, the page and (for stories) the audio it should.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use storyline_core::RecordingId;
use storyline_sandbox::storyteller::MID_STORY_PAUSE_SECS;
use storyline_testkit::audio::{check_story_audio, sample_story_length};
use storyline_testkit::http::{header, html_escape};
use storyline_testkit::{Backend, Config, Http, Server, within};
use tokio::task::JoinSet;

/// The sandbox's storytellers (last two digits of 201-555-01XX) and the ending each must reach.
const ENDINGS: [(&str, &str); 12] = [
    ("00", "complete"),
    ("01", "busy"),
    ("02", "no_answer"),
    ("03", "failed"),
    ("04", "hung_up"),
    ("05", "no_recording"),
    ("06", "machine"),
    ("07", "complete"),
    ("08", "complete"),
    ("09", "complete"),
    ("11", "failed"),
    ("12", "canceled"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_sandbox_number_reaches_its_documented_ending() {
    for backend in Backend::both().await {
        within(every_ending_on(&backend)).await;
    }
}

/// The flow on one backend: SQLite and files, or PostgreSQL and S3.
async fn every_ending_on(backend: &Backend) {
    {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let server = Server::start(Config::embedded(dir.path()).on(backend)).await;
        let max_story = Duration::from_secs(u64::from(server.config.max_story_seconds));
        let mut calls = JoinSet::new();
        for (digits, ending) in ENDINGS {
            let http = server.http();
            calls.spawn(async move {
                let typed = format!("201-555-01{digits}");
                let e164 = format!("+120155501{digits}");
                let expected_length = match digits {
                    // Talks on: cut at the maximum story length.
                    "08" => max_story,
                    // A pause to think, shorter than the silence that ends a story, is kept in it.
                    "09" => sample_story_length(&e164) + Duration::from_secs(MID_STORY_PAUSE_SECS.into()),
                    _ => sample_story_length(&e164),
                };
                follow_call(&http, &typed, ending, expected_length).await;
                typed
            });
        }
        let mut failures = Vec::new();
        while let Some(done) = calls.join_next().await {
            if let Err(e) = done {
                let message = e
                    .try_into_panic()
                    .ok()
                    .and_then(|p| {
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    })
                    .unwrap_or_else(|| "the call's task failed".into());
                failures.push(message);
            }
        }
        assert!(
            failures.is_empty(),
            "{}: {} of 9 numbers failed:\n{}",
            backend.name(),
            failures.len(),
            failures.join("\n")
        );
        server.stop().await;
    }
}

/// Calls `typed`, follows the status to its ending, and checks the ending, its page, and the story's audio.
async fn follow_call(http: &Http, typed: &str, ending: &str, story_length: Duration) {
    let id = http.start_call(typed).await;
    let status = http.wait_final(&id).await;
    assert_eq!(status["status"], ending, "{typed}: {status}");
    let words = if typed.ends_with("11") {
        // Answered, told, and Twilio could not record it: not "we couldn't connect".
        storyline_rocket::Words {
            heading: "We couldn't save your recording".into(),
            detail: "Our phone service had a problem recording the call, so we don't have your story. We're sorry.",
            hint: Some("Please tell it to us again: ask us to call you back, and we'll record it from the start."),
        }
    } else {
        storyline_testkit::words(ending, typed)
    };
    assert_eq!(
        status["heading"],
        words.heading.as_str(),
        "{typed}: the status JSON's heading"
    );

    let res = http.get(&format!("/recording/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{typed}: the recording page");
    assert!(
        header(&res, CONTENT_TYPE).starts_with("text/html"),
        "{typed}: the page is HTML"
    );
    let page = res.text().await.expect("the page downloads");
    for text in [words.heading.as_str(), words.detail] {
        assert!(
            page.contains(&html_escape(text)),
            "{typed}: the {ending} page says {text:?}"
        );
    }
    match words.hint {
        Some(hint) => {
            assert!(
                page.contains(&html_escape(hint)),
                "{typed}: the page says what to do: {hint:?}"
            );
            assert!(
                page.contains(&format!("action=\"/recording/{id}/retry\"")) && page.contains("Call me again"),
                "{typed}: the {ending} page offers a \"Call me again\" form"
            );
        }
        None => assert!(!page.contains("Call me again"), "{typed}: a story is not called again"),
    }

    if ending == "complete" {
        assert!(
            page.contains(&format!("src=\"/recording/{id}/audio\"")),
            "{typed}: the page plays the story"
        );
        check_story_audio(http, &status, story_length).await;
    } else {
        assert!(
            status.get("audio_url").is_none(),
            "{typed}: no audio for {ending}: {status}"
        );
        let res = http.get(&format!("/recording/{id}/audio")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{typed}: no audio for {ending}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_recording_ids_are_friendly_not_found() {
    for backend in Backend::both().await {
        within(unknown_ids_on(&backend)).await;
    }
}

async fn unknown_ids_on(backend: &Backend) {
    {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let server = Server::start(Config::embedded(dir.path()).on(backend)).await;
        let http = server.http();
        let unknown = RecordingId::random().expect("a random id").to_string();
        for id in [unknown.as_str(), "not-an-id", "AAAAAAAAAAAAAAAAAAAAA%21"] {
            let res = http.get(&format!("/recording/{id}")).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "the page of {id}");
            assert!(
                header(&res, CONTENT_TYPE).starts_with("text/html"),
                "the page of {id} is HTML"
            );
            let page = res.text().await.expect("the page downloads");
            assert!(
                page.contains("find that recording"),
                "the page of {id} says it is not found: {page}"
            );
            assert!(page.contains("href=\"/\""), "the page of {id} leads back to the start");

            let (code, json) = http.status(id).await;
            assert_eq!(code, StatusCode::NOT_FOUND, "the status of {id}");
            assert_eq!(json["error"], "not_found", "the status of {id}: {json}");

            let res = http.get(&format!("/recording/{id}/audio")).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "the audio of {id}");
        }
        server.stop().await;
    }
}
