//! Chaos harness: a faulty Twilio sandbox in this process, and the real server binary in a child process that can be
//! killed with SIGKILL at any moment and started again on the same port and data directory.
//!
//! Shared by the chaos test (a few calls) and `benches/soak.rs` (hundreds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use storyline_sandbox::{CallStatus, Faults, Sandbox, SandboxConfig};

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

/// A server process under test, and the sandbox it calls through.
pub struct Chaos {
    /// The sandbox the server calls through.
    pub sandbox: Sandbox,
    /// The server's port, the same across restarts.
    pub port: u16,
    /// The server's data directory, kept across restarts.
    pub data_dir: PathBuf,
    /// How much faster than real time calls run.
    pub speed: f64,
    /// The server's longest story.
    pub max_story_seconds: u32,
    bin: PathBuf,
    child: Option<Child>,
    /// A client for the server.
    pub http: reqwest::Client,
    /// How many times the server was started.
    pub starts: u32,
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
        let sandbox = Sandbox::start(SandboxConfig {
            speed,
            faults,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox starts");
        let port = crate::ports::free_port();
        let mut chaos = Chaos {
            sandbox,
            port,
            data_dir: data_dir.to_owned(),
            speed,
            max_story_seconds,
            bin: bin.to_owned(),
            child: None,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            starts: 0,
        };
        chaos.spawn_server().await;
        chaos
    }

    /// `http://127.0.0.1:PORT` of the server.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server process and waits until it answers.
    pub async fn spawn_server(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.data_dir.join(format!("server-{}.log", self.starts))).expect("log file");
        let child = Command::new(&self.bin)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", self.port.to_string())
            .env("ROCKET_LOG_LEVEL", "critical")
            .env("RUST_LOG", "warn")
            .env("STORYLINE_DATA_DIR", &self.data_dir)
            .env("STORYLINE_PUBLIC_URL", self.base())
            .env("STORYLINE_SANDBOX_SPEED", self.speed.to_string())
            .env("STORYLINE_MAX_STORY_SECONDS", self.max_story_seconds.to_string())
            .env("STORYLINE_RING_SECONDS", "20")
            // The chaos run places many calls from one address to the same few numbers, quickly.
            .env("STORYLINE_CALLS_PER_NUMBER_PER_HOUR", "1000000")
            .env("STORYLINE_CALLS_PER_ADDRESS_PER_HOUR", "1000000")
            .env("STORYLINE_CALLS_PER_SECOND", "50")
            .env("TWILIO_ACCOUNT_SID", self.sandbox.account_sid.as_str())
            .env("TWILIO_AUTH_TOKEN", self.sandbox.auth_token.expose_secret())
            .env("TWILIO_FROM_NUMBER", &self.sandbox.from_number)
            .env("TWILIO_API_BASE_URL", &self.sandbox.base_url)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.http.get(self.base()).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server did not start; see {}",
                self.data_dir.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
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
                    let call_over = self.sandbox_call_over(&p.number);
                    if s["status"] == "complete" || (s["final"] == true && call_over) {
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
    let rows = crate::db::all_recordings(&chaos.data_dir).await;
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
