//! The browser harness: a Storyline server in this process (with its own sandbox) and a headless Chromium driven
//! through chromedriver. Without Chromium the tests say SKIPPED and pass, unless `STORYLINE_REQUIRE_BROWSER=1`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::ports::free_port;
use crate::server::{host, launch, standalone};
use crate::settings;

/// How long a page may take to reach a state the test waits for.
pub const PATIENCE: Duration = Duration::from_secs(45);

fn chromium() -> PathBuf {
    std::env::var_os("STORYLINE_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver() -> PathBuf {
    std::env::var_os("STORYLINE_CHROMEDRIVER").map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

/// Whether the browser tests can run here; prints why not. Panics when CI demands a browser and there is none.
pub fn browser_available(test: &str) -> bool {
    let missing: Vec<String> = [chromium(), chromedriver()]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{} not found (apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    if std::env::var("STORYLINE_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("{test}: STORYLINE_REQUIRE_BROWSER=1 but {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    false
}

/// A Storyline server running in this process with its built-in sandbox, calls sped up 20 times.
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The embedded sandbox's phone page (`/phone`).
    pub sandbox_phone: String,
    /// Where Storyline is mounted: empty at the root.
    pub mount: String,
    shutdown: rocket::Shutdown,
    _data: tempfile::TempDir,
}

impl Site {
    /// Starts the server with its own data directory and sandbox, and returns once it listens.
    pub async fn start() -> Site {
        Site::start_with("/", 20.0).await
    }

    /// The same with Storyline mounted at `mount` inside a host Rocket that has a home page of its own.
    pub async fn start_at(mount: &str) -> Site {
        Site::start_with(mount, 20.0).await
    }

    /// Storyline at `mount` (`/` for the stand-alone server), its calls `speed` times faster than real time: slower
    /// than the default for a test that must see the shortest steps of a call (ringing lasts 4 s of call time).
    pub async fn start_with(mount: &str, speed: f64) -> Site {
        let data = tempfile::tempdir().expect("a temporary directory");
        let figment = settings::isolated(data.path(), 0)
            .merge(("storyline.max_story_seconds", 20))
            .merge(("storyline.sandbox_speed", speed));
        let rocket = if mount == "/" {
            standalone(figment)
        } else {
            host(figment, mount)
        };
        let launched = launch(rocket).await.expect("the server starts");
        let (port, shutdown) = (launched.port, launched.shutdown);
        let sandbox_phone = launched.sandbox.map(|s| s.phone_url()).unwrap_or_default();
        Site {
            base: format!("http://127.0.0.1:{port}"),
            sandbox_phone,
            mount: mount.trim_end_matches('/').to_owned(),
            shutdown,
            _data: data,
        }
    }

    /// A URL of Storyline's (`/` is its landing page, wherever it is mounted).
    pub fn url(&self, path: &str) -> String {
        crate::Http::mounted(&self.base, &self.mount).url(path)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

/// A headless Chromium with a fresh profile, and the chromedriver that drives it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser session; `javascript: false` turns scripts off for the whole profile.
    pub async fn start(javascript: bool) -> Browser {
        Self::start_with(javascript, &[]).await
    }

    /// Like [`Browser::start`], with more command-line flags for Chromium (a fake microphone, for instance).
    pub async fn start_with(javascript: bool, extra_args: &[String]) -> Browser {
        Self::launch(javascript, extra_args, None).await
    }

    /// Like [`Browser::start`], for a reader in the IANA time zone `zone` (`Asia/Tokyo`).
    pub async fn start_in_zone(javascript: bool, zone: &str) -> Browser {
        Self::launch(javascript, &[], Some(zone)).await
    }

    async fn launch(javascript: bool, extra_args: &[String], zone: Option<&str>) -> Browser {
        // fantoccini's TLS stack may bring a second rustls provider: name one, or rustls refuses to choose.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let mut driver = Command::new(chromedriver());
        if let Some(zone) = zone {
            // Chromium takes the reader's zone from its environment.
            driver.env("TZ", zone);
        }
        let driver = driver
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut options = json!({
            "binary": chromium(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if let Some(args) = options["args"].as_array_mut() {
            args.extend(extra_args.iter().map(|a| json!(a)));
        }
        if !javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let mut builder = ClientBuilder::rustls().expect("a TLS configuration");
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let client = loop {
            match builder.connect(&url).await {
                Ok(client) => break client,
                Err(e) if std::time::Instant::now() > deadline => panic!("no browser session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits until a script's value is truthy, then returns it.
    pub async fn until(&self, what: &str, script: &str) -> Value {
        let waiter = crate::wait::Waiter::new(PATIENCE, Duration::from_millis(40));
        loop {
            // A page being replaced answers with an error for a moment: try again.
            if let Ok(v) = self.client.execute(script, vec![]).await
                && !matches!(v, Value::Null | Value::Bool(false))
                && v != json!(0)
                && v != json!("")
            {
                return v;
            }
            if !waiter.again().await {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let text = self.js("return document.body ? document.body.innerText : ''").await;
                panic!("waited {PATIENCE:?} for {what} on {url}; the page says: {text}");
            }
        }
    }

    /// Types a number on the landing page and submits it, as a person does.
    pub async fn call(&self, site: &Site, number: &str) {
        self.client.goto(&site.url("/")).await.expect("the landing page loads");
        let field = self
            .client
            .find(fantoccini::Locator::Css("#tel"))
            .await
            .expect("the number field");
        field.send_keys(number).await.expect("typing");
        self.client
            .find(fantoccini::Locator::Css("form.call button[type=submit]"))
            .await
            .expect("the call button")
            .click()
            .await
            .expect("clicking");
        self.until("the recording page", "return !!document.getElementById('status')")
            .await;
    }

    /// The recording page's status, as the page shows it.
    pub async fn status(&self) -> String {
        self.js("var s = document.getElementById('status'); return s ? s.getAttribute('data-status') : null")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Ends the session: chromedriver then closes the browser.
    pub async fn close(self) {
        drop(self);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Also on a failed test: ending the session is what makes chromedriver close Chromium (killing chromedriver
        // alone would leave the browser running). The session's connection lives on the test's runtime, which is
        // still running here, so another thread can wait for it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let _ = std::thread::spawn(move || {
                runtime.block_on(async {
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), client.close()).await;
                })
            })
            .join();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
