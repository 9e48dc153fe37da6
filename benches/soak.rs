//! Soak: hundreds of sandbox calls with every fault at once — callbacks duplicated, delayed, reordered and lost, media
//! answering 404 after its callback, REST 429/5xx bursts, TwiML timeouts — while the server is SIGKILLed and restarted
//! at random moments. Prints calls started, stories stored, stories lost (must be 0), wrong final states (must be 0) and
//! webhook latency percentiles.
//!
//! With `--cluster`, three instances share PostgreSQL and an S3-compatible bucket (`s3s-fs`, started by the test kit)
//! behind a balancer that spreads every request across them, and each kill takes down one instance at random.
//!
//! Run it with `benches/soak.sh` (builds the release server first), or:
//! `cargo build --release -p storyline-rocket && cargo bench -p storyline-benches --bench soak -- --calls 300`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use storyline_sandbox::Faults;
use storyline_testkit::Backend;
use storyline_testkit::chaos::{Chaos, NUMBERS, judge, percentile};

struct Args {
    calls: usize,
    kills: usize,
    speed: f64,
    faults: String,
    cluster: bool,
}

fn args() -> Args {
    let mut a = Args {
        calls: 300,
        kills: 8,
        speed: 20.0,
        faults: "duplicate=0.2,delay=0.3,max_delay=4,drop=0.1,media_404=2,rest_errors=0.03,twiml_timeout=0.02".into(),
        cluster: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--calls" => a.calls = it.next().and_then(|v| v.parse().ok()).expect("--calls N"),
            "--kills" => a.kills = it.next().and_then(|v| v.parse().ok()).expect("--kills N"),
            "--speed" => a.speed = it.next().and_then(|v| v.parse().ok()).expect("--speed X"),
            "--faults" => a.faults = it.next().expect("--faults SPEC"),
            "--cluster" => a.cluster = true,
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    a
}

fn server_bin() -> PathBuf {
    std::env::var_os("STORYLINE_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/storyline-rocket"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let bin = server_bin();
    assert!(
        bin.exists(),
        "build the server first: cargo build --release -p storyline-rocket ({})",
        bin.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = storyline_testkit::chaos::seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let faults = Faults::parse(&format!("{},seed={seed}", a.faults)).expect("fault spec");
    let started = Instant::now();
    let (backend, instances) = if a.cluster {
        let shared = Backend::shared()
            .await
            .unwrap_or_else(|why| panic!("--cluster needs PostgreSQL and s3s-fs: {why}"));
        (shared, 3)
    } else {
        (Backend::Embedded, 1)
    };
    let mut chaos = Chaos::start_cluster(&bin, dir.path(), faults, a.speed, 20, backend, instances, 50.0).await;

    let mut placed = Vec::new();
    let mut refused = 0usize;
    let kill_every = (a.calls / (a.kills + 1)).max(1);
    for i in 0..a.calls {
        let number = NUMBERS[i % NUMBERS.len()].0;
        match chaos.place(number).await {
            Some(p) => placed.push(p),
            None => refused += 1,
        }
        if i % kill_every == kill_every - 1 && (chaos.starts as usize) < a.kills + chaos.instances() {
            tokio::time::sleep(Duration::from_millis(rng.u64(0..1500))).await;
            let victim = rng.usize(0..chaos.instances());
            chaos.kill_instance(victim);
            tokio::time::sleep(Duration::from_millis(rng.u64(100..1500))).await;
            chaos.spawn_instance(victim).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finals = chaos.wait_final(&placed, Duration::from_secs(300)).await;
    let verdict = judge(&chaos, &placed, &finals).await;
    let mut latencies = chaos.sandbox.webhook_latencies();
    let (p50, p90, p99, max) = (
        percentile(&mut latencies, 0.50),
        percentile(&mut latencies, 0.90),
        percentile(&mut latencies, 0.99),
        percentile(&mut latencies, 1.0),
    );

    println!(
        "soak: {} calls asked for in {:.0?}, faults {}",
        a.calls,
        started.elapsed(),
        a.faults
    );
    println!(
        "  backend                       {} ({} instance{})",
        chaos.backend.name(),
        chaos.instances(),
        if chaos.instances() == 1 { "" } else { "s" }
    );
    println!("  server starts (SIGKILLs + {})  {}", chaos.instances(), chaos.starts);
    if let Some(balancer) = &chaos.balancer {
        let served = balancer.served();
        let mut per_port = std::collections::BTreeMap::<u16, usize>::new();
        for (port, path) in &served {
            if path.contains("/call_") {
                *per_port.entry(*port).or_default() += 1;
            }
        }
        println!(
            "  webhooks answered per instance {:?}",
            per_port.values().collect::<Vec<_>>()
        );
    }
    println!("  calls started                 {}", verdict.placed);
    println!(
        "  placements refused            {refused} (REST fault bursts or server down: the storyteller is told to retry)"
    );
    println!("  stories spoken                {}", verdict.stories_spoken);
    println!("  stories stored                {}", verdict.stories_stored);
    println!("  stories lost                  {}", verdict.stories_lost.len());
    println!("  wrong final states            {}", verdict.wrong_final_states.len());
    println!(
        "  webhook latency (n={})        p50 {p50:.1?}  p90 {p90:.1?}  p99 {p99:.1?}  max {max:.1?}",
        latencies.len()
    );
    for line in verdict.stories_lost.iter().chain(&verdict.wrong_final_states).take(20) {
        println!("    {line}");
    }
    if !verdict.stories_lost.is_empty() || !verdict.wrong_final_states.is_empty() {
        println!("  server logs kept in {}", dir.keep().display());
        std::process::exit(1);
    }
}
