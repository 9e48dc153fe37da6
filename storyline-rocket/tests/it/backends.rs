//! The backends as an operator meets them: a misconfigured database or audio store stops the server binary at start-up
//! with one line naming the setting (never a silent fallback to SQLite or local files), and the load balancer's health
//! checks say whether an instance can serve stories.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use storyline_testkit::{Backend, Config, Server, within};

/// Runs the server binary with `env` and returns its exit status and everything it printed.
fn start_binary(env: &[(String, String)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyline-rocket"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", "0")
        .env("STORYLINE_DATA_DIR", dir.path())
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("the process") {
            let out = child.wait_with_output().expect("its output");
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return (status.code(), printed);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("its output");
            panic!(
                "the server neither started nor stopped: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Asserts the binary stopped, naming `setting`, never showing `secret`, and never saying it runs.
fn assert_refused(env: &[(String, String)], setting: &str, secret: &str) {
    let (code, printed) = start_binary(env);
    assert_ne!(code, Some(0), "it must not start: {printed}");
    assert!(
        printed
            .lines()
            .any(|l| l.contains("storyline could not start") && l.contains(setting)),
        "one line names {setting}: {printed}"
    );
    assert!(!printed.contains(secret), "the secret is never printed: {printed}");
    assert!(!printed.contains("Storyline is running"), "no fallback: {printed}");
}

#[test]
fn a_misconfigured_database_stops_start_up_naming_the_setting() {
    assert_refused(
        &vars(&[("STORYLINE_DATABASE_URL", "mysql://db/stories")]),
        "STORYLINE_DATABASE_URL",
        "\0",
    );
    assert_refused(
        &vars(&[(
            "STORYLINE_DATABASE_URL",
            "postgres://storyline:hunter2@127.0.0.1:1/stories",
        )]),
        "STORYLINE_DATABASE_URL",
        "hunter2",
    );
    assert_refused(
        &vars(&[("STORYLINE_AUDIO_STORE", "ftp://files/stories")]),
        "STORYLINE_AUDIO_STORE",
        "\0",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misconfigured_bucket_stops_start_up_naming_the_setting() {
    let backend = match Backend::shared().await {
        Ok(b) => b,
        Err(why) if std::env::var_os("STORYLINE_REQUIRE_SHARED").is_some() => panic!("CI runs this test: {why}"),
        Err(why) => {
            eprintln!("SKIPPED the bucket start-up test: {why}");
            return;
        }
    };
    let good = backend.env();
    let with = move |key: &str, value: &str| -> Vec<(String, String)> {
        good.iter()
            .map(|(k, v)| (k.clone(), if k == key { value.to_owned() } else { v.clone() }))
            .collect()
    };
    tokio::task::spawn_blocking(move || {
        // A bucket that does not exist, credentials the store refuses, an endpoint nobody answers.
        assert_refused(
            &with("STORYLINE_AUDIO_STORE", "s3://no-such-bucket/stories"),
            "STORYLINE_AUDIO_STORE",
            "\0",
        );
        assert_refused(
            &with("AWS_SECRET_ACCESS_KEY", "not-the-secret-at-all"),
            "STORYLINE_AUDIO_STORE",
            "not-the-secret-at-all",
        );
        assert_refused(
            &with("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            "STORYLINE_AUDIO_STORE",
            "\0",
        );
    })
    .await
    .expect("the checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_say_whether_an_instance_can_serve_stories() {
    for backend in Backend::both().await {
        within(async {
            let dir = tempfile::tempdir().expect("a data directory");
            let server = Server::start(Config::embedded(dir.path()).on(&backend)).await;
            let http = server.http();
            let name = backend.name();
            let res = http.get("/healthz").await;
            assert_eq!(res.status(), StatusCode::OK, "{name}: /healthz");
            let res = http.get("/readyz").await;
            assert_eq!(res.status(), StatusCode::OK, "{name}: /readyz");
            let ready: serde_json::Value = res.json().await.expect("JSON");
            assert_eq!(
                ready,
                serde_json::json!({"ready": true, "database": "ok", "audio_store": "ok"}),
                "{name}"
            );
            if matches!(backend, Backend::Embedded) {
                // The audio directory is gone (a disk unmounted): the balancer must stop sending stories here.
                std::fs::remove_dir_all(dir.path().join("audio")).expect("the audio directory goes");
                let res = http.get("/readyz").await;
                assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{name}");
                let ready: serde_json::Value = res.json().await.expect("JSON");
                assert_eq!(ready["audio_store"], "unavailable", "{name}: {ready}");
                assert_eq!(http.get("/healthz").await.status(), StatusCode::OK, "{name}: still up");
            }
            server.stop().await;
        })
        .await;
    }
}
