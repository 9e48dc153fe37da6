//! What the load runs share: the release server as a child process, free ports, latency figures and memory.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
