//! What the load runs share: the release server as a child process, free ports, latency figures and memory.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, sign};
use storyline_testkit::fake_twilio::{ACCOUNT_SID, FROM_NUMBER, FakeTwilio};

/// The release server binary: `STORYLINE_SERVER_BIN`, or the workspace's `target/release/storyline-rocket`.
pub fn server_bin() -> PathBuf {
    let bin = std::env::var_os("STORYLINE_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/storyline-rocket"));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release -p storyline-rocket`",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Every abuse limit, as its setting's name after `STORYLINE_`: a load run turns them all off (`0`).
pub const LIMITS: [&str; 8] = [
    "CALLS_PER_NUMBER_PER_HOUR",
    "CALLS_PER_NUMBER_PER_DAY",
    "UNANSWERED_IN_A_ROW",
    "CALLS_PER_ADDRESS_PER_HOUR",
    "SERVICE_CALLS_PER_HOUR",
    "SERVICE_CALLS_PER_DAY",
    "SERVICE_MINUTES_PER_HOUR",
    "SERVICE_MINUTES_PER_DAY",
];

/// The release server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts the release server on a free loopback port, in live mode against the Twilio at `twilio_base`, with
    /// every limit off and `env` on top; waits until `/healthz` answers.
    pub async fn start(data_dir: &std::path::Path, twilio: (&str, &str, &str, &str), env: &[(&str, String)]) -> Server {
        let (account_sid, auth_token, from_number, twilio_base) = twilio;
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(server_bin())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // The allocator's settings, to compare them.
            .envs(
                ["MALLOC_ARENA_MAX", "GLIBC_TUNABLES"]
                    .into_iter()
                    .filter_map(|k| Some((k, std::env::var_os(k)?))),
            )
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "off")
            // `STORYLINE_BENCH_SERVER_LOG` (a `RUST_LOG` filter) shows what the server logs, for a closer look.
            .env(
                "RUST_LOG",
                std::env::var("STORYLINE_BENCH_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .env("STORYLINE_DATA_DIR", data_dir)
            .env("STORYLINE_PUBLIC_URL", &base)
            .env("STORYLINE_CALLS_PER_SECOND", "1000")
            .envs(LIMITS.iter().map(|k| (format!("STORYLINE_{k}"), "0")))
            .env("TWILIO_ACCOUNT_SID", account_sid)
            .env("TWILIO_AUTH_TOKEN", auth_token)
            .env("TWILIO_FROM_NUMBER", from_number)
            .env("TWILIO_API_BASE_URL", twilio_base)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let server = Server { child, base };
        let http = client();
        let mut tries = 0;
        while http.get(format!("{}/healthz", server.base)).send().await.is_err() {
            tries += 1;
            assert!(tries < 400, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// Resident memory now and at its peak, in MB (`/proc/PID/status`).
    pub fn memory(&self) -> (f64, f64) {
        memory(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that follows no redirect and ignores proxy settings.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

/// A process's resident memory now and at its peak, in MB.
pub fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// The `p`th percentile (0–100) of latencies sorted ascending, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// The API key the load runs give the server.
pub const API_KEY: &str = "bench-api-key-0123456789abcdef0123456789";

/// One story's call: its id on our side, its SID on Twilio's, the number called.
#[derive(Clone)]
pub struct Story {
    pub id: String,
    pub call_sid: String,
    pub to: String,
}

/// Distinct, valid US numbers (area code 201, exchanges 300 and up): the fake Twilio rings none of them.
pub fn number(i: usize) -> String {
    format!("+1201{}{:04}", 300 + i / 10_000, i % 10_000)
}

/// Places `n` stories through the API, `concurrency` at a time, and finds each one's call SID at the fake Twilio.
pub async fn place(server: &Server, fake: &FakeTwilio, n: usize, concurrency: usize) -> Vec<Story> {
    let http = client();
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, next, base) = (http.clone(), next.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut placed = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return placed;
                }
                let to = number(i);
                let answer = http
                    .post(format!("{base}/api/v1/stories"))
                    .bearer_auth(API_KEY)
                    .json(&serde_json::json!({ "phone": to }))
                    .send()
                    .await
                    .expect("the API answers");
                assert_eq!(answer.status().as_u16(), 201, "a story is created");
                let story: serde_json::Value = answer.json().await.expect("a story");
                let id = story["id"].as_str().expect("the story's id").to_owned();
                placed.push((to, id));
            }
        }));
    }
    let mut by_number = HashMap::new();
    for task in tasks {
        by_number.extend(task.await.expect("placing ran"));
    }
    // The call is placed in the background; wait until the fake has given every story its SID.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        // This run's calls: an earlier run on the same fake called the same numbers.
        let sids: HashMap<String, String> = fake
            .placed()
            .into_iter()
            .filter(|p| p.at >= started)
            .filter_map(|p| Some((p.to, p.sid?)))
            .collect();
        if by_number.keys().all(|to| sids.contains_key(to)) {
            return by_number
                .into_iter()
                .map(|(to, id)| Story {
                    call_sid: sids[&to].clone(),
                    id,
                    to,
                })
                .collect();
        }
        assert!(Instant::now() < deadline, "every call was placed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The signed status callbacks Twilio sends for `story`'s call, in order, as (url, form body, signature).
pub fn callbacks(base: &str, token: &AuthToken, story: &Story) -> Vec<(String, String, String)> {
    let url = format!("{base}/recording/{}/call_status", story.id);
    [
        ("ringing", 1, None),
        ("in-progress", 2, None),
        ("completed", 3, Some(4)),
    ]
    .into_iter()
    .map(|(status, sequence, duration): (&str, u32, Option<u32>)| {
        let mut form = vec![
            ("AccountSid", ACCOUNT_SID.to_owned()),
            ("ApiVersion", "2010-04-01".to_owned()),
            ("CallSid", story.call_sid.clone()),
            ("CallStatus", status.to_owned()),
            ("Called", story.to.clone()),
            ("Caller", FROM_NUMBER.to_owned()),
            ("Direction", "outbound-api".to_owned()),
            ("From", FROM_NUMBER.to_owned()),
            ("To", story.to.clone()),
            ("SequenceNumber", sequence.to_string()),
            ("CallbackSource", "call-progress-events".to_owned()),
        ];
        if let Some(seconds) = duration {
            form.push(("CallDuration", seconds.to_string()));
            form.push(("Duration", "1".to_owned()));
        }
        let signature = sign(token, Algorithm::HmacSha1, &url, &form);
        let body = serde_urlencoded::to_string(&form).expect("a form");
        (url.clone(), body, signature)
    })
    .collect()
}
