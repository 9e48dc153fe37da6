//! The server under load, beside a bare Rocket handler answering the same bytes, in one run on one machine: requests
//! per second, p50 and p99 for each route, and their ratio; and the server's memory, idle and after the load.
//!
//! The release server runs in live mode (Twilio credentials, a public URL) against a local Twilio stand-in (the
//! sandbox, in this process), exactly as production runs against Twilio. The routes:
//!
//! - `GET /`: the landing page;
//! - `GET /recording/:id/status`: a call in progress's status JSON;
//! - `POST /recording/:id/call_started`: a signed TwiML webhook Twilio repeats (a duplicate, which changes nothing).
//!
//! The load generator is `wrk` (2 threads, 32 connections, 10 s per route by default). Run it with
//! `benches/http.sh` (installs wrk when missing and builds the release server first), or:
//! `cargo build --release -p storyline-rocket && cargo bench -p storyline-benches --bench http -- --seconds 10`.

#[path = "common.rs"]
mod common;

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use common::{Server, free_port};

use rocket::http::ContentType;
use rocket::{Config, State};
use storyline_core::signature::{Algorithm, sign};
use storyline_sandbox::{Sandbox, SandboxConfig};

struct Args {
    seconds: u32,
    connections: u32,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        connections: 32,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).expect("--seconds N"),
            "--connections" => a.connections = it.next().and_then(|v| v.parse().ok()).expect("--connections N"),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    a
}

/// What the bare handler answers: the bytes Storyline answered, captured once.
struct Same {
    landing: String,
    status: String,
    twiml: String,
}

#[rocket::get("/")]
fn bare_landing(same: &State<Same>) -> (ContentType, String) {
    (ContentType::HTML, same.landing.clone())
}

#[rocket::get("/recording/<_id>/status")]
fn bare_status(_id: &str, same: &State<Same>) -> (ContentType, String) {
    (ContentType::JSON, same.status.clone())
}

#[rocket::post("/recording/<_id>/call_started", data = "<_form>")]
fn bare_twiml(_id: &str, _form: String, same: &State<Same>) -> (ContentType, String) {
    (ContentType::XML, same.twiml.clone())
}

/// One route under load: requests per second and latency percentiles, as wrk measured them.
#[derive(Debug, Default, Clone, Copy)]
struct Load {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// wrk's latency as milliseconds: `612.00us`, `4.61ms`, `1.02s`.
fn millis(text: &str) -> f64 {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((text, "ms"), |i| text.split_at(i));
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

fn parse_wrk(out: &str) -> Load {
    let mut load = Load::default();
    for line in out.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(n)) => load.per_second = n.parse().unwrap_or(0.0),
            (Some("50%"), Some(t)) => load.p50_ms = millis(t),
            (Some("99%"), Some(t)) => load.p99_ms = millis(t),
            _ => {}
        }
    }
    load
}

/// Drives `url` with wrk; `post` is a Lua script for a POST.
fn wrk(a: &Args, url: &str, post: Option<&std::path::Path>) -> Load {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{}", a.connections),
        &format!("-d{}s", a.seconds),
        "--latency",
    ]);
    if let Some(script) = post {
        cmd.arg("-s").arg(script);
    }
    let out = cmd.arg(url).output().expect("wrk runs (benches/http.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Non-2xx") {
        eprintln!("wrk saw errors on {url}:\n{text}");
    }
    parse_wrk(&text)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let a = args();
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("the sandbox starts");
    let dir = tempfile::tempdir().expect("a data directory");
    let server = Server::start(
        dir.path(),
        (
            sandbox.account_sid.as_str(),
            sandbox.auth_token.expose_secret(),
            &sandbox.from_number,
            &sandbox.base_url,
        ),
        &[],
    )
    .await;
    let base = server.base.clone();
    let http = common::client();

    // A story whose call is going on: its status, and the TwiML webhook Twilio already sent for it.
    let placed = http
        .post(format!("{base}/"))
        .header("Origin", &base)
        .form(&[("tel", "201-555-0100")])
        .send()
        .await
        .expect("the form answers");
    let location = placed.headers()["location"].to_str().expect("a location").to_owned();
    let id = location.trim_start_matches("/recording/").to_owned();
    let call = loop {
        let started = sandbox
            .report()
            .into_iter()
            .find(|c| c.to == "+12015550100" && c.status == storyline_sandbox::CallStatus::InProgress);
        if let Some(c) = started {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let hook = format!("/recording/{id}/call_started");
    let form = [
        ("AccountSid", sandbox.account_sid.as_str().to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("CallSid", call.sid.as_str().to_owned()),
        ("CallStatus", "in-progress".to_owned()),
        ("Called", "+12015550100".to_owned()),
        ("Caller", sandbox.from_number.clone()),
        ("Direction", "outbound-api".to_owned()),
        ("From", sandbox.from_number.clone()),
        ("To", "+12015550100".to_owned()),
        ("AnsweredBy", "human".to_owned()),
    ];
    let signature = sign(
        &sandbox.auth_token,
        Algorithm::HmacSha1,
        &format!("{base}{hook}"),
        &form,
    );
    let body = serde_urlencoded::to_string(form).expect("a form");
    let twiml = http
        .post(format!("{base}{hook}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", &signature)
        .body(body.clone())
        .send()
        .await
        .expect("the webhook answers");
    assert!(
        twiml.status().is_success(),
        "the signed webhook is accepted: {}",
        twiml.status()
    );
    let same = Same {
        landing: http
            .get(format!("{base}/"))
            .send()
            .await
            .expect("/")
            .text()
            .await
            .expect("a page"),
        status: http
            .get(format!("{base}/recording/{id}/status"))
            .send()
            .await
            .expect("status")
            .text()
            .await
            .expect("JSON"),
        twiml: twiml.text().await.expect("TwiML"),
    };
    let mut script = tempfile::NamedTempFile::new().expect("a script file");
    write!(
        script,
        "wrk.method = \"POST\"\nwrk.body = \"{body}\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         wrk.headers[\"X-Twilio-Signature\"] = \"{signature}\"\n"
    )
    .expect("the script is written");

    // The bare handler, on its own port, in this process.
    let bare_port = free_port();
    let bare = rocket::custom(Config {
        port: bare_port,
        log_level: rocket::config::LogLevel::Off,
        ..Config::release_default()
    })
    .manage(same)
    .mount("/", rocket::routes![bare_landing, bare_status, bare_twiml]);
    tokio::spawn(async move {
        let _ = bare.launch().await;
    });
    let bare_base = format!("http://127.0.0.1:{bare_port}");
    while http.get(format!("{bare_base}/")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (idle, _) = server.memory();
    println!(
        "wrk -t2 -c{} -d{}s, one route at a time; Storyline in live mode on SQLite against a local Twilio stand-in\n",
        a.connections, a.seconds
    );
    println!("| route | Storyline req/s | p50 | p99 | bare Rocket req/s | p50 | p99 | Storyline / bare |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let routes = [
        ("`GET /`", "/".to_owned(), None),
        ("`GET /recording/:id/status`", format!("/recording/{id}/status"), None),
        (
            "`POST /recording/:id/call_started` (signed, repeated)",
            hook.clone(),
            Some(script.path()),
        ),
    ];
    for (name, path, post) in routes {
        let ours = wrk(&a, &format!("{base}{path}"), post);
        let theirs = wrk(&a, &format!("{bare_base}{path}"), post);
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {:.0} | {:.2} ms | {:.2} ms | {:.2} |",
            ours.per_second,
            ours.p50_ms,
            ours.p99_ms,
            theirs.per_second,
            theirs.p50_ms,
            theirs.p99_ms,
            ours.per_second / theirs.per_second
        );
    }
    let (now, peak) = server.memory();
    println!("\nServer memory: {idle:.1} MB resident when idle, {now:.1} MB after the load, {peak:.1} MB at its peak.");
    drop(server);
    sandbox.stop();
}
