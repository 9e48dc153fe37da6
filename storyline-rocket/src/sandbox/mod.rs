//! A Twilio-compatible sandbox: Twilio's REST protocol over real HTTP, a virtual phone at every number, TwiML fetched with
//! signed requests and run with Twilio's semantics, real audio, and signed callbacks.
//!
//! The server uses it when no Twilio credentials are configured, and the tests use it. The application does not know it
//! is talking to the sandbox: only the base URL and the credentials differ. Where it and Twilio's documented behaviour
//! disagree, the sandbox is wrong.

mod call;
pub mod faults;
mod http;
pub mod media;
mod phone;
mod rest;
mod runner;
pub mod storyteller;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use storyline_core::{AccountSid, AuthToken, CallSid, RecordingSid};

pub use call::CallStatus;
pub use faults::Faults;

/// The number the sandbox's calls come from (the only `From` it accepts, like a Twilio account with one number).
pub const FROM_NUMBER: &str = "+12015550199";

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// How many times faster than real time calls run (`STORYLINE_SANDBOX_SPEED`). Recordings keep their real length.
    pub speed: f64,
    /// Where to listen; port 0 picks a free one.
    pub address: std::net::SocketAddr,
    /// Faults to inject (none by default).
    pub faults: Faults,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            speed: 1.0,
            address: ([127, 0, 0, 1], 0).into(),
            faults: Faults::none(),
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

/// Everything the sandbox knows, shared by its REST routes and the calls it runs.
pub(crate) struct State {
    pub account_sid: AccountSid,
    pub auth_token: AuthToken,
    pub speed: f64,
    pub http: http::Client,
    /// Where the sandbox listens, known once it has started.
    pub base_url: std::sync::OnceLock<String>,
    pub faults: Faults,
    pub burst: faults::Burst,
    pub calls: Mutex<HashMap<CallSid, call::CallRecord>>,
    pub recordings: Mutex<HashMap<RecordingSid, call::RecordingRecord>>,
    /// The sandbox phone in a browser (`GET /phone`).
    pub phone: phone::Line,
}

impl State {
    /// The sandbox's own base URL, for the URLs it hands out.
    pub fn public_base(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or("http://127.0.0.1")
    }

    /// Sleeps for `secs` seconds of call time.
    pub async fn wait(&self, secs: f64) {
        tokio::time::sleep(Duration::from_secs_f64((secs / self.speed).max(0.0))).await;
    }
}

impl Sandbox {
    /// Starts a sandbox on its own port and returns once it accepts requests.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, rocket::Error> {
        let account_sid = AccountSid::from_bytes(random_bytes());
        let token_hex: String = random_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let auth_token: AuthToken = token_hex.parse().expect("hex token is valid");
        let state = Arc::new(State {
            account_sid: account_sid.clone(),
            auth_token: auth_token.clone(),
            speed: if config.speed.is_finite() && config.speed > 0.0 {
                config.speed
            } else {
                1.0
            },
            http: http::Client::new(),
            faults: config.faults.clone(),
            burst: faults::Burst::default(),
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
            .mount("/", phone::routes())
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

    /// What happened to every call so far: what a soak or chaos test checks the application against.
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
                }
            })
            .collect()
    }

    /// How long the application took to answer each webhook the sandbox sent.
    pub fn webhook_latencies(&self) -> Vec<Duration> {
        self.state.http.latencies.lock().expect("not poisoned").clone()
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
}

/// 16 bytes from the operating system's random source.
pub(crate) fn random_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("system random source");
    b
}
