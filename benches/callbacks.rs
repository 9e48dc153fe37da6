//! State-changing callbacks under load, on SQLite and on PostgreSQL: many calls' signed status callbacks at once,
//! each a real change that the server makes durable before it answers.
//!
//! The release server runs in live mode against a stand-in for Twilio's REST API that accepts every call and rings
//! nobody (the test kit's fake Twilio), so the only callbacks are the ones this run sends. It places `--stories`
//! stories through the API, then `--concurrency` clients send, for each story, what Twilio sends as its call goes
//! on: `ringing`, `in-progress`, then `completed` (the storyteller hung up before the beep, so the story ends there).
//! Every callback changes the story, every answer must be a success, and every story must end `hung_up`; the run
//! prints callbacks per second and the latency percentiles, for each database.
//!
//! `benches/http.sh` runs it after the HTTP run, or:
//! `cargo build --release -p storyline-rocket && cargo bench -p storyline-benches --bench callbacks -- --stories 4000`.
//! PostgreSQL is the tests' (`STORYLINE_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`), in a
//! fresh schema; `--only sqlite` or `--only postgres` runs one.

#[path = "common.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{API_KEY, Server, callbacks, client, percentile, place};
use storyline_core::AuthToken;
use storyline_testkit::backends::fresh_postgres_schema;
use storyline_testkit::fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio};

struct Args {
    stories: usize,
    concurrency: usize,
    only: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        stories: 4000,
        concurrency: 32,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--stories" => a.stories = it.next().and_then(|v| v.parse().ok()).expect("--stories N"),
            "--concurrency" => a.concurrency = it.next().and_then(|v| v.parse().ok()).expect("--concurrency N"),
            "--only" => a.only = it.next(),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    a
}

/// What one run measured.
struct Figures {
    callbacks: usize,
    per_second: f64,
    p50: f64,
    p99: f64,
    max: f64,
    memory: (f64, f64),
}

async fn run(label: &str, fake: &FakeTwilio, database_url: Option<String>, a: &Args) -> Figures {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut env = vec![("STORYLINE_API_KEY", API_KEY.to_owned())];
    if let Some(url) = database_url {
        env.push(("STORYLINE_DATABASE_URL", url));
    }
    let server = Server::start(dir.path(), (ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, &fake.base_url), &env).await;
    let placing = Instant::now();
    let stories = place(&server, fake, a.stories, a.concurrency).await;
    eprintln!(
        "{label}: {} stories placed in {:.1} s; sending their callbacks",
        stories.len(),
        placing.elapsed().as_secs_f64()
    );
    let token: AuthToken = AUTH_TOKEN.parse().expect("the fake's token");
    // Phase by phase (every story rings, then every story is answered, then every call ends), so no two callbacks
    // for one call are ever in flight together: each one is a change.
    let per_client: Vec<Vec<(String, String, String)>> = (0..a.concurrency)
        .map(|c| {
            let mine: Vec<_> = stories.iter().skip(c).step_by(a.concurrency).collect();
            let signed: Vec<Vec<_>> = mine.iter().map(|s| callbacks(&server.base, &token, s)).collect();
            (0..3)
                .flat_map(|phase| signed.iter().map(move |c| c[phase].clone()))
                .collect()
        })
        .collect();
    let callbacks: usize = per_client.iter().map(Vec::len).sum();
    let http = client();
    let barrier = Arc::new(tokio::sync::Barrier::new(a.concurrency + 1));
    let tasks: Vec<_> = per_client
        .into_iter()
        .map(|requests| {
            let (http, barrier) = (http.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests.len());
                barrier.wait().await;
                for (url, body, signature) in requests {
                    let start = Instant::now();
                    let answer = http
                        .post(&url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("X-Twilio-Signature", signature)
                        .body(body)
                        .send()
                        .await
                        .expect("the server answers");
                    let status = answer.status();
                    let _ = answer.bytes().await;
                    latencies.push(start.elapsed());
                    assert!(status.is_success(), "a callback is accepted: {status} for {url}");
                }
                latencies
            })
        })
        .collect();
    barrier.wait().await;
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(callbacks);
    for task in tasks {
        latencies.extend(task.await.expect("a client ran"));
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let memory = server.memory();
    // Every callback was a change: every story ended as the last one says.
    for story in stories.iter().step_by((stories.len() / 50).max(1)) {
        let status: serde_json::Value = http
            .get(format!("{}/api/v1/stories/{}", server.base, story.id))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("the API answers")
            .json()
            .await
            .expect("a story");
        assert_eq!(status["status"], "hung_up", "{label}: story {} ended", story.id);
    }
    Figures {
        callbacks,
        per_second: callbacks as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        max: percentile(&latencies, 100.0),
        memory,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let a = args();
    let fake = FakeTwilio::start().await;
    let mut backends = Vec::new();
    if a.only.as_deref() != Some("postgres") {
        backends.push(("SQLite", None));
    }
    if a.only.as_deref() != Some("sqlite") {
        match fresh_postgres_schema().await {
            Ok(url) => backends.push(("PostgreSQL", Some(url))),
            Err(why) => eprintln!("SKIPPED PostgreSQL: {why}"),
        }
    }
    println!(
        "{} stories, {} clients at once; each story's call rings, is answered and ends: three signed status \
         callbacks, each one a change made durable before the answer\n",
        a.stories, a.concurrency
    );
    println!("| database | callbacks | per second | p50 | p99 | max | server memory (now / peak) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (label, url) in backends {
        let f = run(label, &fake, url, &a).await;
        println!(
            "| {label} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} / {:.1} MB |",
            f.callbacks, f.per_second, f.p50, f.p99, f.max, f.memory.0, f.memory.1
        );
    }
}
