//! What the routes and the background work share: settings, the store, the Twilio client, the signature validator,
//! live updates, the abuse guard and where Storyline is mounted.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rocket::{Orbit, Rocket};
use storyline_core::client::Client;
use storyline_core::phone::Region;
use storyline_core::signature::Validator;
use storyline_core::{AccountSid, AuthToken, RecordingId};
use storyline_sandbox::{Faults, Sandbox, SandboxConfig};
use tokio::sync::broadcast;

use crate::abuse::Guard;
use crate::config::Settings;
use crate::links::Links;
use crate::store::{AudioFiles, AudioStoreError, HostPool, OpenError, Recent, Store};

/// Why Storyline could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error(transparent)]
    Audio(#[from] AudioStoreError),
    #[error("cannot start the sandbox: {0}")]
    Sandbox(String),
    #[error("cannot build the Twilio client: {0}")]
    Client(#[from] storyline_core::client::Error),
}

/// A change of a recording's status, pushed to the pages that watch it.
#[derive(Debug, Clone)]
pub(crate) struct StatusChange {
    pub id: RecordingId,
}

/// Where host services are told of stories: the URL and the signing secret.
pub(crate) struct EventsTarget {
    pub url: String,
    pub secret: String,
}

/// Everything the routes and the background work share; cheap to clone.
#[derive(Clone)]
pub(crate) struct App(Arc<Inner>);

impl std::ops::Deref for App {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The shared state behind [`App`].
pub(crate) struct Inner {
    pub settings: Settings,
    pub store: Store,
    /// Where stored recordings live.
    pub audio: AudioFiles,
    pub twilio: Client,
    pub validator: Validator,
    pub from_number: String,
    pub region: Region,
    pub changes: broadcast::Sender<StatusChange>,
    /// The abuse limits on placing calls, shared by every request.
    pub guard: Guard,
    pub sandbox: Option<Sandbox>,
    /// Where Storyline is mounted: every link and webhook URL is built from it.
    pub links: Links,
    pub events: Option<EventsTarget>,
    public_url: OnceLock<String>,
    /// How much faster than real time background timings run ([`time_scale`]).
    time_scale: f64,
    /// The recordings read a moment ago, for answers that may be a moment old.
    pub recent: Recent,
    /// The landing page, written once.
    pub landing: OnceLock<String>,
    /// The time zone pages write times in (`STORYLINE_TIME_ZONE`).
    pub time_zone: jiff::tz::TimeZone,
    pub shutdown: OnceLock<rocket::Shutdown>,
}

impl App {
    /// Opens the data directory and database (or uses the host's pool), and connects to Twilio, or starts the sandbox
    /// when no credentials are set.
    pub(crate) async fn start(settings: Settings, links: Links, pool: Option<HostPool>) -> Result<App, StartError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let region: Region = settings
            .default_country
            .parse()
            .map_err(|_| StartError::Settings(format!("unknown default country {:?}", settings.default_country)))?;
        let guard = Guard::new(&settings).map_err(|e| StartError::Settings(e.to_string()))?;
        let events = match (&settings.events_url, &settings.events_secret) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(StartError::Settings(
                    "STORYLINE_EVENTS_SECRET is required with STORYLINE_EVENTS_URL".into(),
                ));
            }
            (Some(url), Some(secret)) => {
                let parsed =
                    url::Url::parse(url).map_err(|e| StartError::Settings(format!("STORYLINE_EVENTS_URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || secret.is_empty() {
                    return Err(StartError::Settings(
                        "STORYLINE_EVENTS_URL must be http(s) and STORYLINE_EVENTS_SECRET not empty".into(),
                    ));
                }
                Some(EventsTarget {
                    url: url.clone(),
                    secret: secret.clone(),
                })
            }
        };
        let store = match pool {
            Some(pool) => Store::with_host_pool(pool).await?,
            None => Store::connect(settings.database_url.as_deref(), &settings.data_dir).await?,
        };
        let audio = AudioFiles::open(
            settings.audio_store.as_deref(),
            &settings.audio_store_options,
            &settings.data_dir,
        )
        .await?;

        if settings.names_twilio() {
            if let Some(missing) = settings.live_mode_lacks() {
                return Err(StartError::Settings(format!(
                    "{missing} is missing: Twilio settings are given, so Storyline runs live and needs TWILIO_ACCOUNT_SID, \
                     TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER and STORYLINE_PUBLIC_URL (and TWILIO_API_KEY with \
                     TWILIO_API_SECRET, or neither); remove every TWILIO_* setting to run the sandbox instead"
                )));
            }
            let public = settings.public_url.as_deref().unwrap_or_default();
            let parsed = url::Url::parse(public)
                .map_err(|e| StartError::Settings(format!("STORYLINE_PUBLIC_URL is not a URL: {e}")))?;
            let loopback = is_loopback(&parsed);
            match parsed.scheme() {
                "https" => {}
                "http" if loopback || settings.allow_http => {}
                _ => {
                    return Err(StartError::Settings(format!(
                        "STORYLINE_PUBLIC_URL must be https:// in live mode (it is {public}): Twilio's webhooks and \
                         the storytellers' pages would travel unencrypted; set STORYLINE_ALLOW_HTTP=true to allow it anyway"
                    )));
                }
            }
        }
        let time_scale = time_scale(&settings)?;
        let time_zone = jiff::tz::TimeZone::get(&settings.time_zone).map_err(|e| {
            StartError::Settings(format!(
                "STORYLINE_TIME_ZONE: `{}` is not a time zone such as America/New_York: {e}",
                settings.time_zone
            ))
        })?;
        let (sandbox, base_url, account_sid, token, from_number) = if settings.has_twilio_credentials() {
            let sid: AccountSid = settings
                .twilio_account_sid
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|e| StartError::Settings(format!("TWILIO_ACCOUNT_SID: {e}")))?;
            let from = settings
                .twilio_from_number
                .clone()
                .ok_or_else(|| StartError::Settings("TWILIO_FROM_NUMBER is required with Twilio credentials".into()))?;
            let token = settings.twilio_auth_token.clone();
            (None, settings.twilio_api_base_url.clone(), sid, token, from)
        } else {
            if settings.database_url.is_some() || settings.audio_store.is_some() {
                tracing::warn!(
                    "shared storage without Twilio credentials: this instance starts its own sandbox, whose callbacks \
                     other instances cannot check; give every instance one Twilio (or one standalone sandbox)"
                );
            }
            let faults = Faults::parse(settings.sandbox_faults.as_deref().unwrap_or(""))
                .map_err(|e| StartError::Settings(e.to_string()))?;
            let sandbox = Sandbox::start(SandboxConfig {
                speed: settings.sandbox_speed,
                faults,
                ..SandboxConfig::default()
            })
            .await
            .map_err(|e| StartError::Sandbox(e.to_string()))?;
            let token = Some(sandbox.auth_token.expose_secret().to_owned());
            (
                Some(sandbox.clone()),
                sandbox.base_url.clone(),
                sandbox.account_sid.clone(),
                token,
                sandbox.from_number.clone(),
            )
        };

        let mut builder = Client::builder()
            .base_url(base_url)
            .account_sid(account_sid)
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("storyline/", env!("CARGO_PKG_VERSION")));
        builder = match (&settings.twilio_api_key, &settings.twilio_api_secret, &sandbox) {
            (Some(key), Some(secret), None) => builder.api_key(key.clone(), secret.clone()),
            _ => builder.auth_token(token.clone().unwrap_or_default()),
        };
        let twilio = builder.build()?;

        let primary: AuthToken =
            token.as_deref().unwrap_or_default().parse().map_err(|_| {
                StartError::Settings("TWILIO_AUTH_TOKEN is required to check Twilio's signatures".into())
            })?;
        let mut validator = Validator::new(primary);
        if let Some(secondary) = &settings.twilio_secondary_auth_token {
            let secondary: AuthToken = secondary
                .parse()
                .map_err(|_| StartError::Settings("TWILIO_SECONDARY_AUTH_TOKEN is not a valid token".into()))?;
            validator = validator.with_secondary(secondary);
        }

        let (changes, _) = broadcast::channel(256);
        let public_url = OnceLock::new();
        if let Some(url) = &settings.public_url {
            let _ = public_url.set(url.trim_end_matches('/').to_owned());
        }
        Ok(App(Arc::new(Inner {
            audio,
            settings,
            store,
            twilio,
            validator,
            from_number,
            region,
            changes,
            guard,
            sandbox,
            links,
            events,
            public_url,
            time_scale,
            recent: Recent::default(),
            landing: OnceLock::new(),
            time_zone,
            shutdown: OnceLock::new(),
        })))
    }

    /// Called once the server listens: fixes the public URL (the real port is known now) and says how it runs.
    pub(crate) fn lift_off(&self, rocket: &Rocket<Orbit>) {
        let config = rocket.config();
        let local = format!("http://{}:{}", config.address, config.port);
        let _ = self.public_url.set(local.clone());
        let _ = self.shutdown.set(rocket.shutdown());
        let site = format!("{local}{}", self.links.home());
        println!(
            "Storyline keeps its stories in {} and their audio in {}.",
            self.store.describe(),
            self.audio.describe()
        );
        match &self.sandbox {
            Some(sb) => println!(
                "Storyline is running at {site}\n  Sandbox mode: no Twilio credentials are set, so calls go to the built-in \
                 Twilio sandbox at {} (no real phone rings).\n  Try +1 201-555-0100; the README lists the other sandbox numbers.\n  \
                 To answer yourself, open the sandbox phone at {} and call +1 201-555-0110.",
                sb.base_url,
                sb.phone_url()
            ),
            None => println!(
                "Storyline is running at {site}\n  Live mode: calls are placed through {} and Twilio reaches this server at {}.",
                self.settings.twilio_api_base_url,
                self.public_url()
            ),
        }
    }
}

/// Whether a URL's host is this machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// How much faster than real time the server's own background timings run (reconciliation, copy retries, leases):
/// with the embedded sandbox, as fast as its calls (`STORYLINE_SANDBOX_SPEED`); in live mode, real time, unless a test
/// against a local Twilio stand-in (a `TWILIO_API_BASE_URL` on this machine) asks otherwise with
/// `STORYLINE_TEST_TIME_SCALE`. Against any other Twilio that setting stops start-up: a production server whose
/// retries and reconciliation ran twenty times too fast would hammer Twilio and give up on calls too soon.
fn time_scale(settings: &Settings) -> Result<f64, StartError> {
    let sandbox = !settings.names_twilio();
    let scale = match settings.test_time_scale {
        None if sandbox => settings.sandbox_speed,
        None => {
            if settings.sandbox_speed != 1.0 {
                tracing::warn!("STORYLINE_SANDBOX_SPEED is ignored in live mode: it sets the embedded sandbox's speed");
            }
            1.0
        }
        Some(scale) => {
            let local = url::Url::parse(&settings.twilio_api_base_url).is_ok_and(|u| is_loopback(&u));
            if !sandbox && !local {
                return Err(StartError::Settings(format!(
                    "STORYLINE_TEST_TIME_SCALE is for tests against a local Twilio stand-in; it is refused with \
                     Twilio at {}",
                    settings.twilio_api_base_url
                )));
            }
            scale
        }
    };
    if !scale.is_finite() || scale <= 0.0 {
        return Err(StartError::Settings(format!(
            "STORYLINE_SANDBOX_SPEED and STORYLINE_TEST_TIME_SCALE must be positive numbers, not {scale}"
        )));
    }
    Ok(scale.max(1.0))
}

impl Inner {
    /// The base URL Twilio (and the host service) reach this server at, without a trailing slash or the mount path.
    pub(crate) fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1:8000")
    }

    /// A path of [`Links`] as a full URL, as Twilio and host services are given it.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url())
    }

    /// The URL of one of a recording's webhooks, as Twilio is given it (and as signatures are checked against).
    pub(crate) fn webhook_url(&self, id: &RecordingId, hook: &str) -> String {
        self.url(&self.links.webhook(id.as_str(), hook))
    }

    /// Background delays the state machine asks for, in real time: compressed only with the sandbox's calls, or by a
    /// test against a local Twilio stand-in ([`time_scale`]); always real time with Twilio.
    pub(crate) fn delay(&self, secs: u64) -> Duration {
        Duration::from_secs_f64(secs as f64 / self.time_scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(base: &str) -> Settings {
        Settings {
            twilio_account_sid: Some("AC0123456789abcdef0123456789abcdef".into()),
            twilio_auth_token: Some("0123456789abcdef0123456789abcdef".into()),
            twilio_api_base_url: base.into(),
            ..Settings::default()
        }
    }

    #[test]
    fn the_sandbox_speed_sets_background_timings_only_with_the_embedded_sandbox() {
        let sandbox = Settings {
            sandbox_speed: 20.0,
            ..Settings::default()
        };
        assert_eq!(time_scale(&sandbox).expect("a scale"), 20.0);
        let twilio = Settings {
            sandbox_speed: 20.0,
            ..live("https://api.twilio.com")
        };
        assert_eq!(time_scale(&twilio).expect("a scale"), 1.0, "real time with Twilio");
    }

    #[test]
    fn only_a_local_twilio_stand_in_allows_the_test_time_scale() {
        let local = Settings {
            test_time_scale: Some(20.0),
            ..live("http://127.0.0.1:4010")
        };
        assert_eq!(time_scale(&local).expect("a scale"), 20.0);
        let twilio = Settings {
            test_time_scale: Some(20.0),
            ..live("https://api.twilio.com")
        };
        let refused = time_scale(&twilio).expect_err("refused").to_string();
        assert!(refused.contains("STORYLINE_TEST_TIME_SCALE"), "{refused}");
    }
}
