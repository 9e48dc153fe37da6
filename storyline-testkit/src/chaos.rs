//! Chaos harness: a faulty Twilio sandbox in this process, and the real server binary in child processes that can be
//! killed with SIGKILL at any moment and started again: one instance on its own port and data directory, or a
//! cluster of instances sharing PostgreSQL and S3 behind a [`Balancer`] that spreads every request, Twilio's
//! webhooks among them, across the instances.
//!
//! Shared by the chaos and cluster tests (a few calls) and `benches/soak.rs` (hundreds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use storyline_sandbox::{CallStatus, Faults, Sandbox, SandboxConfig};

use crate::backends::Backend;
use crate::balancer::Balancer;

/// The status each sandbox number ends in when nothing goes wrong, and which ones tell a story.
pub const NUMBERS: [(&str, &str); 9] = [
    ("+12015550100", "complete"),
    ("+12015550101", "busy"),
    ("+12015550102", "no_answer"),
    ("+12015550103", "failed"),
    ("+12015550104", "hung_up"),
    ("+12015550105", "no_recording"),
    ("+12015550106", "machine"),
    ("+12015550107", "complete"),
    ("+12015550108", "complete"),
];

/// A chaos run's seed: `STORYLINE_CHAOS_SEED` replays a failed run's kill moments and the sandbox's sequence of fault
/// decisions (which request meets which decision still depends on timing); otherwise a random one. Printed either way.
pub fn seed() -> u64 {
    let seed = std::env::var("STORYLINE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("chaos seed: {seed} (replay with STORYLINE_CHAOS_SEED={seed})");
    seed
}

/// Server processes under test, and the sandbox they call through.
pub struct Chaos {
    /// The sandbox the servers call through.
    pub sandbox: Sandbox,
    /// The public port: the one instance's (the same across restarts), or the balancer's.
    pub port: u16,
    /// The data directory (of the one instance; a cluster's instances each have one inside it).
    pub data_dir: PathBuf,
    /// Where the instances keep their stories.
    pub backend: Backend,
    /// The balancer in front of a cluster.
    pub balancer: Option<Balancer>,
    instances: Vec<Instance>,
    /// How much faster than real time calls run.
    pub speed: f64,
    /// The server's longest story.
    pub max_story_seconds: u32,
    /// The account's calls per second, shared by the instances.
    pub calls_per_second: f64,
    bin: PathBuf,
    /// A client for the server.
    pub http: reqwest::Client,
    /// How many times the server was started.
    pub starts: u32,
}

/// One server process.
struct Instance {
    port: u16,
    data_dir: PathBuf,
    child: Option<Child>,
}

/// A call the test asked for.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The recording's id.
    pub id: String,
    /// The number called.
    pub number: String,
}

impl Chaos {
    /// Starts a sandbox with `faults` and the server binary `bin` against it.
    pub async fn start(bin: &Path, data_dir: &Path, faults: Faults, speed: f64, max_story_seconds: u32) -> Chaos {
        Chaos::start_cluster(
            bin,
            data_dir,
            faults,
            speed,
            max_story_seconds,
            Backend::Embedded,
            1,
            50.0,
        )
        .await
    }

    /// Starts a sandbox with `faults` and `instances` server processes on `backend`, placing at most
    /// `calls_per_second` between them: behind a [`Balancer`] when there is more than one.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_cluster(
        bin: &Path,
        data_dir: &Path,
        faults: Faults,
        speed: f64,
        max_story_seconds: u32,
        backend: Backend,
        instances: usize,
        calls_per_second: f64,
    ) -> Chaos {
        let sandbox = Sandbox::start(SandboxConfig {
            speed,
            faults,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox starts");
        let slots: Vec<Instance> = (0..instances.max(1))
            .map(|n| Instance {
                port: crate::ports::free_port(),
                data_dir: if instances <= 1 {
                    data_dir.to_owned()
                } else {
                    data_dir.join(format!("instance-{n}"))
                },
                child: None,
            })
            .collect();
        let balancer = if slots.len() > 1 {
            Some(Balancer::start(slots.iter().map(|i| i.port).collect()).await)
        } else {
            None
        };
        let port = balancer.as_ref().map_or(slots[0].port, |b| b.port);
        let mut chaos = Chaos {
            sandbox,
            port,
            data_dir: data_dir.to_owned(),
            backend,
            balancer,
            instances: slots,
            speed,
            max_story_seconds,
            calls_per_second,
            bin: bin.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            starts: 0,
        };
        for n in 0..chaos.instances.len() {
            chaos.spawn_instance(n).await;
        }
        chaos
    }

    /// `http://127.0.0.1:PORT` of the server (or of the balancer in front of the cluster).
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` of one instance, bypassing the balancer.
    pub fn instance_base(&self, n: usize) -> String {
        format!("http://127.0.0.1:{}", self.instances[n].port)
    }

    /// How many instances the cluster has had.
    pub fn instances(&self) -> usize {
        self.instances.len()
    }

    /// Starts the (first) server process again and waits until it answers.
    pub async fn spawn_server(&mut self) {
        self.spawn_instance(0).await;
    }

    /// Starts a new instance behind the balancer; returns its number.
    pub async fn add_instance(&mut self) -> usize {
        let n = self.instances.len();
        self.instances.push(Instance {
            port: crate::ports::free_port(),
            data_dir: self.data_dir.join(format!("instance-{n}")),
            child: None,
        });
        self.spawn_instance(n).await;
        if let Some(b) = &self.balancer {
            b.add(self.instances[n].port);
        }
        n
    }

    /// Starts instance `n`'s process and waits until it answers.
    pub async fn spawn_instance(&mut self, n: usize) {
        self.starts += 1;
        let (port, dir) = (self.instances[n].port, self.instances[n].data_dir.clone());
        std::fs::create_dir_all(&dir).expect("the instance's data directory");
        let log = std::fs::File::create(dir.join(format!("server-{}.log", self.starts))).expect("log file");
        let child = Command::new(&self.bin)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.backend.env())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "critical")
            .env("RUST_LOG", "warn")
            .env("STORYLINE_DATA_DIR", &dir)
            .env("STORYLINE_PUBLIC_URL", self.base())
            .env("STORYLINE_TEST_TIME_SCALE", self.speed.to_string())
            .env("STORYLINE_MAX_STORY_SECONDS", self.max_story_seconds.to_string())
            .env("STORYLINE_RING_SECONDS", "20")
            // The chaos run places many calls from one address to the same few numbers, quickly.
            .envs(crate::settings::without_limits_env())
            .env("STORYLINE_CALLS_PER_SECOND", self.calls_per_second.to_string())
            .env("TWILIO_ACCOUNT_SID", self.sandbox.account_sid.as_str())
            .env("TWILIO_AUTH_TOKEN", self.sandbox.auth_token.expose_secret())
            .env("TWILIO_FROM_NUMBER", &self.sandbox.from_number)
            .env("TWILIO_API_BASE_URL", &self.sandbox.base_url)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("server starts");
        self.instances[n].child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.http.get(format!("http://127.0.0.1:{port}/readyz")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "server did not start; see {}", dir.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL of every instance: no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        for n in 0..self.instances.len() {
            self.kill_instance(n);
        }
    }

    /// SIGKILL of instance `n`.
    pub fn kill_instance(&mut self, n: usize) {
        if let Some(mut child) = self.instances[n].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// How many jobs of a recording are not done yet, in the database the instances share.
    pub async fn pending_jobs(&self, id: &str) -> i64 {
        const PENDING: &str = "SELECT COUNT(*) FROM storyline_jobs WHERE recording_id = $1 AND done = 0";
        match &self.backend {
            Backend::Embedded => {
                let pool = crate::db::open(&self.data_dir).await;
                let n = sqlx::query_scalar(PENDING).bind(id).fetch_one(&pool).await.unwrap_or(1);
                pool.close().await;
                n
            }
            Backend::Shared { database_url, .. } => {
                let Ok(pool) = sqlx::PgPool::connect(database_url).await else {
                    return 1;
                };
                let n = sqlx::query_scalar(PENDING).bind(id).fetch_one(&pool).await.unwrap_or(1);
                pool.close().await;
                n
            }
        }
    }

    /// Every recording's id, call SID and number, read from the database the instances share.
    pub async fn all_recordings(&self) -> Vec<(String, Option<String>, String)> {
        match &self.backend {
            Backend::Embedded => crate::db::all_recordings(&self.data_dir).await,
            Backend::Shared { database_url, .. } => {
                let pool = sqlx::PgPool::connect(database_url).await.expect("PostgreSQL");
                let rows = sqlx::query_as("SELECT id, call_sid, phone FROM storyline_recordings")
                    .fetch_all(&pool)
                    .await
                    .expect("read recordings");
                pool.close().await;
                rows
            }
        }
    }

    /// Submits the form for `number` as a storyteller would. `None` when the server refused to place the call (for
    /// example Twilio's REST API answered 503 during a fault burst) or was down.
    pub async fn place(&self, number: &str) -> Option<Placed> {
        let national = &number[2..];
        let typed = format!("{}-{}-{}", &national[..3], &national[3..6], &national[6..]);
        let res = self
            .http
            .post(self.base())
            .form(&[("tel", typed.as_str())])
            .send()
            .await
            .ok()?;
        if res.status() != reqwest::StatusCode::SEE_OTHER {
            return None;
        }
        let location = res.headers().get("location")?.to_str().ok()?;
        Some(Placed {
            id: location.rsplit('/').next()?.to_owned(),
            number: number.to_owned(),
        })
    }

    /// The status JSON of a recording, or `None` while the server is down.
    pub async fn status(&self, id: &str) -> Option<serde_json::Value> {
        let res = self
            .http
            .get(format!("{}/recording/{id}/status", self.base()))
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        res.json().await.ok()
    }

    /// Waits until every recording's status is final (or the deadline passes) and returns the statuses.
    pub async fn wait_final(&self, placed: &[Placed], deadline: Duration) -> BTreeMap<String, serde_json::Value> {
        let waiter = crate::wait::Waiter::new(deadline, Duration::from_millis(200));
        let mut done = BTreeMap::new();
        loop {
            for p in placed {
                if done.contains_key(&p.id) {
                    continue;
                }
                if let Some(s) = self.status(&p.id).await {
                    // Only `complete` is truly final: any other ending may still turn into a story if a late recording
                    // callback arrives, so wait until the sandbox has finished the call too.
                    // Nor while the server still has work for it (a reconciliation that may find the recording whose
                    // callback was lost, held under the lease of an instance that was killed).
                    let call_over = self.sandbox_call_over(&p.number);
                    if s["status"] == "complete"
                        || (s["final"] == true && call_over && self.pending_jobs(&p.id).await == 0)
                    {
                        done.insert(p.id.clone(), s);
                    }
                }
            }
            if done.len() == placed.len() || !waiter.again().await {
                break;
            }
        }
        for p in placed {
            if !done.contains_key(&p.id) {
                let s = self.status(&p.id).await.unwrap_or(serde_json::Value::Null);
                done.insert(p.id.clone(), s);
            }
        }
        done
    }

    fn sandbox_call_over(&self, _number: &str) -> bool {
        // Every sandbox call ends on its own within a minute of call time; once none is running, endings are settled.
        self.sandbox.report().iter().all(|c| {
            !matches!(
                c.status,
                CallStatus::Queued | CallStatus::Initiated | CallStatus::Ringing | CallStatus::InProgress
            )
        })
    }

    /// Fetches a recording's audio and returns its length in milliseconds, if it is a playable WAV.
    pub async fn audio_ms(&self, id: &str) -> Option<u64> {
        let res = self
            .http
            .get(format!("{}/recording/{id}/audio", self.base()))
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        let bytes = res.bytes().await.ok()?;
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).ok()?;
        Some(u64::from(reader.duration()) * 1000 / u64::from(reader.spec().sample_rate))
    }
}

impl Drop for Chaos {
    fn drop(&mut self) {
        self.kill();
        self.sandbox.stop();
    }
}

/// The verdict of a chaos run.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Calls asked for.
    pub placed: usize,
    /// Calls in which the storyteller spoke.
    pub stories_spoken: usize,
    /// Of those, stories stored and playable at their full length.
    pub stories_stored: usize,
    /// Spoken stories that were not stored (must be empty).
    pub stories_lost: Vec<String>,
    /// Other calls that ended in a state their number does not produce (must be empty).
    pub wrong_final_states: Vec<String>,
}

/// Checks what the server says against what happened on the phone (the sandbox's report): every story that was spoken
/// must be stored and playable at its full length, and every other call must end in the state its number produces.
pub async fn judge(chaos: &Chaos, placed: &[Placed], finals: &BTreeMap<String, serde_json::Value>) -> Verdict {
    let rows = chaos.all_recordings().await;
    let reports = chaos.sandbox.report();
    let mut verdict = Verdict {
        placed: placed.len(),
        ..Verdict::default()
    };

    for report in reports.iter().filter(|r| r.spoken_ms.is_some()) {
        verdict.stories_spoken += 1;
        let spoken = report.spoken_ms.unwrap_or_default();
        let Some((id, _, _)) = rows
            .iter()
            .find(|(_, sid, _)| sid.as_deref() == Some(report.sid.as_str()))
        else {
            verdict.stories_lost.push(format!(
                "call {} to {}: spoken, but no recording names it",
                report.sid, report.to
            ));
            continue;
        };
        let status = match finals.get(id) {
            Some(s) => s["status"].as_str().unwrap_or("<none>").to_owned(),
            None => chaos
                .status(id)
                .await
                .map(|s| s["status"].as_str().unwrap_or("").to_owned())
                .unwrap_or_default(),
        };
        match (status.as_str(), chaos.audio_ms(id).await) {
            ("complete", Some(ms)) if ms.abs_diff(spoken) <= 600 => verdict.stories_stored += 1,
            ("complete", Some(ms)) => verdict
                .stories_lost
                .push(format!("{id} ({}): stored {ms} ms of a {spoken} ms story", report.to)),
            (status, _) => verdict
                .stories_lost
                .push(format!("{id} ({}): a spoken story ended {status}", report.to)),
        }
    }

    for p in placed {
        let status = finals
            .get(&p.id)
            .and_then(|s| s["status"].as_str())
            .unwrap_or("<none>")
            .to_owned();
        let call_sid = rows
            .iter()
            .find(|(id, _, _)| *id == p.id)
            .and_then(|(_, sid, _)| sid.clone());
        let report = call_sid
            .as_deref()
            .and_then(|sid| reports.iter().find(|r| r.sid.as_str() == sid));
        if report.is_some_and(|r| r.spoken_ms.is_some()) {
            continue; // judged above
        }
        let expected = NUMBERS
            .iter()
            .find(|(n, _)| *n == p.number)
            .map(|(_, s)| *s)
            .unwrap_or("complete");
        let twiml_failed = report.is_some_and(|r| r.twiml_failed);
        let ok = match report {
            // The server never got a call placed (it was killed, or Twilio refused): an honest failure.
            None => status == "failed",
            // A TwiML request that failed ends the call before anything is recorded: an honest ending.
            Some(_) if twiml_failed => matches!(status.as_str(), "hung_up" | "no_recording" | "machine"),
            Some(_) => status == expected && expected != "complete",
        };
        if !ok {
            verdict.wrong_final_states.push(format!(
                "{} ({}): ended {status}, expected {expected}{}",
                p.id,
                p.number,
                if twiml_failed { " (a TwiML request failed)" } else { "" }
            ));
        }
    }
    verdict
}

/// The `p`-th percentile of `values`.
pub fn percentile(values: &mut [Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    let i = ((values.len() - 1) as f64 * p).round() as usize;
    values[i]
}
