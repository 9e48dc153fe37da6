//! The end-to-end harness: a real Storyline server on 127.0.0.1, talking to the sandbox (its own or one the test
//! started), driven over real HTTP the way a browser and Twilio drive it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::figment::value::Value;
use rocket::{Build, Ignite, Rocket};
use storyline_rocket::Storyline;
use storyline_sandbox::Sandbox;
use tokio::task::JoinHandle;

use crate::Http;
use crate::ports::free_port;
use crate::settings;

/// The longest any end-to-end test may take.
pub const TEST_DEADLINE: Duration = Duration::from_secs(90);

/// How long a server may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(15);

/// How often a test looks at a recording's status.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(40);

/// How long a test waits for a recording to reach a status: well inside [`TEST_DEADLINE`], so a stuck recording fails
/// with the statuses it went through rather than with the test's time running out.
pub(crate) const STATUS_DEADLINE: Duration = Duration::from_secs(60);

/// Runs a test body, failing it if it takes longer than [`TEST_DEADLINE`].
pub async fn within<F: Future<Output = ()>>(body: F) {
    if tokio::time::timeout(TEST_DEADLINE, body).await.is_err() {
        panic!("the test did not finish within {TEST_DEADLINE:?}");
    }
}

/// Storyline's logs on standard error when `RUST_LOG` asks for them (run with `--nocapture`).
fn logs_if_asked() {
    if std::env::var_os("RUST_LOG").is_some() {
        storyline_rocket::init_logging();
    }
}

/// How to run a server.
#[derive(Clone)]
pub struct Config {
    /// The server's data directory.
    pub data_dir: PathBuf,
    /// A fixed port (a restart reuses the first server's); `None` picks a free one.
    pub port: Option<u16>,
    /// How much faster than real time sandbox calls (and background waits) run.
    pub speed: f64,
    /// `storyline.max_story_seconds`.
    pub max_story_seconds: u32,
    /// `storyline.ring_seconds`.
    pub ring_seconds: u32,
    /// The sandbox the server uses as Twilio; `None` lets the server start its own.
    pub twilio: Option<Sandbox>,
    /// More settings, merged last: `("storyline.api_key", "…")`.
    pub extra: Vec<(String, Value)>,
}

impl Config {
    /// A server with its own sandbox, as the demo runs.
    pub fn embedded(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            port: None,
            speed: 20.0,
            // Above the longest sample story (40 s), so only the storyteller who talks on is cut.
            max_story_seconds: 45,
            ring_seconds: 10,
            twilio: None,
            extra: Vec::new(),
        }
    }

    /// The same, keeping its stories on `backend`.
    pub fn on(mut self, backend: &crate::Backend) -> Self {
        self.extra.extend(backend.settings());
        self
    }

    /// The same, with one more setting (`key` as in the figment: `storyline.api_key`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.push((key.to_owned(), value.into()));
        self
    }

    /// A server configured with credentials for an external sandbox, as production is configured for Twilio.
    pub fn external(data_dir: &Path, sandbox: &Sandbox) -> Self {
        Self {
            twilio: Some(sandbox.clone()),
            ..Self::embedded(data_dir)
        }
    }

    /// The settings this server starts with on `port`.
    pub fn figment(&self, port: u16) -> Figment {
        let mut figment = settings::isolated(&self.data_dir, port)
            .merge(("storyline.sandbox_speed", self.speed))
            .merge(("storyline.max_story_seconds", self.max_story_seconds))
            .merge(("storyline.ring_seconds", self.ring_seconds))
            // The abuse limits have tests of their own (and `isolated` turns them off); these tests place calls as
            // fast as they need.
            .merge(("storyline.calls_per_second", 1000.0));
        if let Some(sb) = &self.twilio {
            figment = figment
                .merge(("storyline.twilio_account_sid", sb.account_sid.as_str()))
                .merge(("storyline.twilio_auth_token", sb.auth_token.expose_secret()))
                .merge(("storyline.twilio_from_number", &sb.from_number))
                .merge(("storyline.twilio_api_base_url", &sb.base_url))
                // The external sandbox runs calls this fast: so do the server's background timings.
                .merge(("storyline.test_time_scale", self.speed))
                .merge(("storyline.public_url", format!("http://127.0.0.1:{port}")));
        }
        for (key, value) in &self.extra {
            figment = figment.merge((key.as_str(), value.clone()));
        }
        figment
    }
}

/// A sandbox of its own at the tests' speed (20), with the faults of `spec` (`drop=1`, see `storyline_sandbox::faults`),
/// for a server configured with [`Config::external`].
pub async fn faulty_sandbox(spec: &str) -> Sandbox {
    Sandbox::start(storyline_sandbox::SandboxConfig {
        speed: 20.0,
        faults: storyline_sandbox::Faults::parse(spec).expect("a fault specification"),
        ..storyline_sandbox::SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`: where browsers reach it, and the public URL Twilio is given.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    /// How it was started (a restart reuses it).
    pub config: Config,
    shutdown: rocket::Shutdown,
    task: Option<JoinHandle<Result<Rocket<Ignite>, rocket::Error>>>,
    embedded_sandbox: Option<Sandbox>,
}

impl Server {
    /// Starts a server and returns once it answers on its port.
    pub async fn start(config: Config) -> Server {
        logs_if_asked();
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = match (config.port, &config.twilio) {
                (Some(port), _) => port,
                // The public URL Twilio is given names the port, so it must be known before the server starts.
                (None, Some(_)) => free_port(),
                (None, None) => 0,
            };
            match Self::try_start(&config, port).await {
                Ok(server) => return server,
                // Another process may have taken the port we picked: pick again.
                Err(e) if config.port.is_none() => last_error = e,
                Err(e) => panic!("the server did not start on port {port}: {e}"),
            }
        }
        panic!("the server did not start: {last_error}");
    }

    async fn try_start(config: &Config, port: u16) -> Result<Server, String> {
        let launched = launch(standalone(config.figment(port))).await?;
        let server = Server {
            base: format!("http://127.0.0.1:{}", launched.port),
            port: launched.port,
            config: config.clone(),
            shutdown: launched.shutdown,
            task: Some(launched.task),
            embedded_sandbox: launched.sandbox,
        };
        server.wait_until_answering().await?;
        Ok(server)
    }

    async fn wait_until_answering(&self) -> Result<(), String> {
        let http = self.http();
        let deadline = tokio::time::Instant::now() + START_DEADLINE;
        loop {
            if let Ok(res) = http.client.get(http.url("/")).send().await
                && res.status() == StatusCode::OK
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("{} does not answer", self.base));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// A browser pointed at this server.
    pub fn http(&self) -> Http {
        Http::new(&self.base)
    }

    /// The URL Twilio is given for one of a recording's webhooks (the one signatures are checked against).
    pub fn webhook_url(&self, id: &str, hook: &str) -> String {
        format!("{}/recording/{id}/{hook}", self.base)
    }

    /// Shuts the server down and waits until it has stopped listening and its background work has ended.
    pub async fn stop(mut self) {
        self.shutdown.clone().notify();
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(START_DEADLINE, task).await {
                Ok(Ok(Ok(_))) => {}
                Ok(Ok(Err(e))) => panic!("the server failed while running: {e}"),
                Ok(Err(e)) => panic!("the server's task failed: {e}"),
                Err(_) => panic!("the server did not shut down within {START_DEADLINE:?}"),
            }
        }
        if let Some(sb) = self.embedded_sandbox.take() {
            sb.stop();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test must not leave a server answering (or a sandbox calling) until the process ends.
        self.shutdown.clone().notify();
        if let Some(sb) = &self.embedded_sandbox {
            sb.stop();
        }
    }
}

/// The stand-alone server (Storyline mounted at `/`) on a figment.
pub fn standalone(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment).attach(Storyline::mount_at("/"))
}

/// A host service with its own home page (`The host's own home page`), 404 catcher (`The host's own 404`) and
/// response header (`X-Host: yes`), and Storyline mounted at `mount`.
pub fn host(figment: Figment, mount: &str) -> Rocket<Build> {
    #[rocket::get("/")]
    fn home() -> &'static str {
        "The host's own home page"
    }
    #[rocket::catch(404)]
    fn not_found() -> &'static str {
        "The host's own 404"
    }
    rocket::custom(figment)
        .mount("/", rocket::routes![home])
        .register("/", rocket::catchers![not_found])
        .attach(AdHoc::on_response("the host's header", |_, res| {
            Box::pin(async move {
                res.set_header(rocket::http::Header::new("X-Host", "yes"));
            })
        }))
        .attach(Storyline::mount_at(mount))
}

/// A Rocket launched in this process.
pub struct Launched {
    /// The port it listens on.
    pub port: u16,
    /// Stops it.
    pub shutdown: rocket::Shutdown,
    /// The server's task: it ends when the server has stopped.
    pub task: JoinHandle<Result<Rocket<Ignite>, rocket::Error>>,
    /// The sandbox Storyline started, if it runs without Twilio credentials.
    pub sandbox: Option<Sandbox>,
}

/// Launches any Rocket (the stand-alone server, or a host with Storyline mounted) and returns once it listens.
pub async fn launch(rocket: Rocket<Build>) -> Result<Launched, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let rocket = rocket.attach(AdHoc::on_liftoff("test: listening", move |rocket| {
        Box::pin(async move {
            if let Some(tx) = tx.lock().expect("not poisoned").take() {
                let _ = tx.send(rocket.config().port);
            }
        })
    }));
    let ignited = rocket.ignite().await.map_err(|e| format!("ignite: {e}"))?;
    let shutdown = ignited.shutdown();
    let sandbox = Storyline::sandbox(&ignited);
    let mut task = tokio::spawn(ignited.launch());
    let port = tokio::time::timeout(START_DEADLINE, async {
        tokio::select! {
            port = rx => port.map_err(|_| "the server never lifted off".to_string()),
            ended = &mut task => Err(match ended {
                Ok(Err(e)) => format!("launch: {e}"),
                _ => "the server stopped while starting".to_string(),
            }),
        }
    })
    .await
    .map_err(|_| "the server did not lift off in time".to_string())??;
    Ok(Launched {
        port,
        shutdown,
        task,
        sandbox,
    })
}
