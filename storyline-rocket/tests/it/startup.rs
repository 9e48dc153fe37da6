//! Start-up as an operator meets it: a misconfigured database or audio store, partial Twilio credentials or a plain-HTTP
//! public URL on a live site stop the server binary with one line naming the setting (never a silent fallback to
//! SQLite, local files or the sandbox), and the load balancer's health checks say whether an instance can serve stories.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use storyline_testkit::{Backend, Config, Server, within};

/// The server binary on a free port and `data_dir`, with nothing from this environment but `PATH`, and `env`.
fn binary(data_dir: &std::path::Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_storyline-rocket"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", "0")
        .env("STORYLINE_DATA_DIR", data_dir)
        .envs(env.iter().cloned());
    command
}

/// Runs the server binary with `env` and returns its exit status and everything it printed.
fn start_binary(env: &[(String, String)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut child = binary(dir.path(), env)
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

#[test]
fn partial_twilio_settings_stop_start_up_instead_of_running_the_sandbox() {
    let full = [
        ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
        ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
        ("TWILIO_FROM_NUMBER", "+12015550199"),
        ("STORYLINE_PUBLIC_URL", "https://stories.example.com"),
    ];
    let without = |name: &str| vars(&full.iter().copied().filter(|(k, _)| *k != name).collect::<Vec<_>>());
    for missing in [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "STORYLINE_PUBLIC_URL",
    ] {
        assert_refused(&without(missing), missing, "0123456789abcdef0123456789abcdef");
    }
    // An API key without its secret (or the other way round).
    let mut key_only = vars(&full);
    key_only.push(("TWILIO_API_KEY".into(), "SK0123456789abcdef0123456789abcdef".into()));
    assert_refused(&key_only, "TWILIO_API_SECRET", "\0");
    // A token alone, as a half-finished deployment has it.
    assert_refused(
        &vars(&[("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")]),
        "TWILIO_ACCOUNT_SID",
        "\0",
    );
}

#[test]
fn live_mode_refuses_a_plain_http_public_url_unless_loopback_or_allowed() {
    let live = |public: &str| {
        vars(&[
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
            ("TWILIO_FROM_NUMBER", "+12015550199"),
            // Nothing is ever called: the server stops or listens before any call.
            ("TWILIO_API_BASE_URL", "http://127.0.0.1:1"),
            ("STORYLINE_PUBLIC_URL", public),
        ])
    };
    assert_refused(&live("http://stories.example.com"), "STORYLINE_PUBLIC_URL", "\0");
    for allowed in ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"] {
        assert_starts(&live(allowed));
    }
    let mut allowed = live("http://stories.example.com");
    allowed.push(("STORYLINE_ALLOW_HTTP".into(), "true".into()));
    assert_starts(&allowed);
}

#[test]
fn the_test_time_scale_is_refused_against_a_twilio_that_is_not_local() {
    let live = |base: &str| {
        vars(&[
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
            ("TWILIO_FROM_NUMBER", "+12015550199"),
            ("TWILIO_API_BASE_URL", base),
            ("STORYLINE_PUBLIC_URL", "https://stories.example.com"),
            ("STORYLINE_TEST_TIME_SCALE", "20"),
        ])
    };
    assert_refused(&live("https://api.twilio.com"), "STORYLINE_TEST_TIME_SCALE", "\0");
    // A local stand-in (the tests' fake Twilio or sandbox) may run the server's timings faster.
    assert_starts(&live("http://127.0.0.1:1"));
}

/// Asserts the binary starts (it is then stopped).
fn assert_starts(env: &[(String, String)]) {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut child = binary(dir.path(), env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary runs");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("its output"));
    let mut printed = String::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut out, &mut line).unwrap_or(0) > 0 {
        printed.push_str(&line);
        if line.contains("Storyline is running") {
            break;
        }
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.contains("Storyline is running"),
        "it starts with {env:?}: {printed}"
    );
}
