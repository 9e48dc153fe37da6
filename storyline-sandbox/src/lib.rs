#![doc = include_str!("../README.md")]

// Modules import in one direction: the HTTP sides (`rest`, `phone_page`) start calls (`call`), which run TwiML
// (`runner`), which sends signed requests (`state`, `outbound`) about the records (`records`).
mod call;
mod error;
pub mod faults;
mod listing;
pub mod media;
mod outbound;
mod phone;
mod phone_page;
mod records;
mod rest;
mod runner;
mod state;
pub mod storyteller;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use storyline_core::{AccountSid, AuthToken, CallSid};

pub use faults::Faults;
pub use outbound::MAX_LATENCY_SAMPLES;
pub use records::{CallStatus, FROM_NUMBER};
use state::State;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// How many times faster than real time calls run (`STORYLINE_SANDBOX_SPEED`). Recordings keep their real length.
    pub speed: f64,
    /// Where to listen; port 0 picks a free one.
    pub address: std::net::SocketAddr,
    /// Faults to inject (none by default).
    pub faults: Faults,
    /// How much of what happened the sandbox keeps.
    pub retention: Retention,
}

/// How long the sandbox keeps finished calls and their recordings, so a sandbox that runs for days stays small.
///
/// A call in progress is always kept. A finished call goes, with its recordings, once it ended more than `max_age`
/// ago, or, oldest first, when more than `max_calls` calls have finished or their recordings' audio passes
/// `max_audio_bytes`. It is then unknown to every endpoint (404), and to [`Sandbox::report`].
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// How long a finished call is kept after its end (wall-clock): an hour by default.
    pub max_age: Duration,
    /// The most finished calls kept: 1000 by default.
    pub max_calls: usize,
    /// The most audio kept, in bytes of 16-bit samples: 256 MiB by default (about 4.6 hours of phone audio).
    pub max_audio_bytes: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(3600),
            max_calls: 1000,
            max_audio_bytes: 256 << 20,
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            speed: 1.0,
            address: ([127, 0, 0, 1], 0).into(),
            faults: Faults::none(),
            retention: Retention::default(),
        }
    }
}

/// A running sandbox: where it listens and the credentials it accepts.
#[derive(Clone)]
pub struct Sandbox {
    /// `http://127.0.0.1:PORT`: use it as the Twilio API base URL.
    pub base_url: String,
    /// The account the sandbox serves.
    pub account_sid: AccountSid,
    /// The account's auth token: REST calls authenticate with it and the sandbox signs its requests with it.
    pub auth_token: AuthToken,
    /// The number calls come from.
    pub from_number: String,
    state: Arc<State>,
    shutdown: rocket::Shutdown,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox on its own port and returns once it accepts requests.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, rocket::Error> {
        let account_sid = AccountSid::from_bytes(records::random_bytes());
        let token_hex: String = records::random_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let auth_token: AuthToken = token_hex.parse().expect("hex token is valid");
        let state = Arc::new(State {
            account_sid: account_sid.clone(),
            auth_token: auth_token.clone(),
            speed: if config.speed.is_finite() && config.speed > 0.0 {
                config.speed
            } else {
                1.0
            },
            http: outbound::Client::new(),
            faults: config.faults.clone(),
            retention: config.retention.clone(),
            burst: faults::Burst::default(),
            dice: faults::Dice::new(config.faults.seed),
            base_url: std::sync::OnceLock::new(),
            calls: Mutex::new(HashMap::new()),
            recordings: Mutex::new(HashMap::new()),
            phone: phone::Line::default(),
        });
        let figment = rocket::Config::figment()
            .merge(("address", config.address.ip()))
            .merge(("port", config.address.port()))
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("cli_colors", false))
            .merge(("shutdown.grace", 0))
            .merge(("shutdown.mercy", 0))
            .merge(("shutdown.ctrlc", false));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let rocket = rocket::custom(figment)
            .manage(state.clone())
            .mount("/", rest::routes())
            .mount("/", phone_page::routes())
            .register("/", rest::catchers())
            .attach(rocket::fairing::AdHoc::on_liftoff("sandbox address", move |r| {
                Box::pin(async move {
                    if let Some(tx) = tx.lock().expect("not poisoned").take() {
                        let _ = tx.send((r.config().address, r.config().port, r.shutdown()));
                    }
                })
            }));
        let ignited = rocket.ignite().await?;
        tokio::spawn(async move {
            if let Err(e) = ignited.launch().await {
                tracing::error!("sandbox stopped: {e}");
            }
        });
        let (address, port, shutdown) = rx.await.expect("sandbox lifts off");
        let base_url = format!("http://{address}:{port}");
        let _ = state.base_url.set(base_url.clone());
        Ok(Sandbox {
            base_url,
            account_sid,
            auth_token,
            from_number: FROM_NUMBER.into(),
            state,
            shutdown,
        })
    }

    /// The sandbox phone: open it in a browser, then call [`storyteller::BROWSER_PHONE_NUMBER`] and it rings.
    pub fn phone_url(&self) -> String {
        format!("{}/phone", self.base_url)
    }

    /// The status of a call the sandbox placed, as Twilio's REST API would report it.
    pub fn call_status(&self, sid: &CallSid) -> Option<CallStatus> {
        self.state
            .calls
            .lock()
            .expect("not poisoned")
            .get(sid)
            .map(|c| c.status)
    }

    /// What happened to every call the sandbox still keeps (see [`Retention`]): what a soak or chaos test checks the
    /// application against.
    pub fn report(&self) -> Vec<CallReport> {
        let calls = self.state.calls.lock().expect("not poisoned");
        let recordings = self.state.recordings.lock().expect("not poisoned");
        calls
            .values()
            .map(|c| {
                let spoken_ms = recordings
                    .values()
                    .filter(|r| r.call_sid == c.sid && r.status != "absent" && r.duration_ms > 0)
                    .map(|r| r.duration_ms)
                    .max();
                CallReport {
                    sid: c.sid.clone(),
                    to: c.to.clone(),
                    status: c.status,
                    spoken_ms,
                    twiml_failed: c.twiml_failed,
                    created_at: c.created_at,
                }
            })
            .collect()
    }

    /// How long the application took to answer the webhooks the sandbox sent: the latest
    /// [`MAX_LATENCY_SAMPLES`], oldest first.
    pub fn webhook_latencies(&self) -> Vec<Duration> {
        self.state
            .http
            .latencies
            .lock()
            .expect("not poisoned")
            .iter()
            .copied()
            .collect()
    }

    /// Stops the sandbox's HTTP server (calls in flight stop reaching anyone).
    pub fn stop(&self) {
        self.shutdown.clone().notify();
    }
}

/// One call as the sandbox saw it.
#[derive(Debug, Clone)]
pub struct CallReport {
    /// The call.
    pub sid: CallSid,
    /// The number called (E.164).
    pub to: String,
    /// Its status now.
    pub status: CallStatus,
    /// Milliseconds of story recorded, if the storyteller spoke: that story must end stored.
    pub spoken_ms: Option<u64>,
    /// Whether a TwiML request failed (a fault), so the caller heard an application error.
    pub twiml_failed: bool,
    /// When the application asked for the call (its `POST …/Calls.json`).
    pub created_at: time::OffsetDateTime,
}
