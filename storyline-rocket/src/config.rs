//! Settings, read from the Rocket's figment under the key `storyline`: in a host service, its `Rocket.toml`
//! (`[default.storyline]`) or anything it merges there; on the stand-alone server, the `STORYLINE_*` and `TWILIO_*`
//! environment variables too ([`Settings::figment`]).

use std::path::PathBuf;

use rocket::figment::Figment;
use rocket::figment::providers::{Env, Serialized};
use serde::{Deserialize, Serialize};

/// Everything the server can be told. Each field's default is what the demo runs with.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the database and the stored audio live (`STORYLINE_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `STORYLINE_DATABASE_URL`: unset, SQLite in the data directory; `postgres://user:password@host/database`,
    /// PostgreSQL, which any number of instances can share.
    pub database_url: Option<String>,
    /// `STORYLINE_AUDIO_STORE`: unset, files in the data directory; `s3://bucket/prefix`, an S3 or S3-compatible
    /// bucket (credentials, region and endpoint from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`), which any number of instances can share.
    pub audio_store: Option<String>,
    /// `storyline.audio_store_options` (in a figment only): object_store's S3 settings, applied over the `AWS_*`
    /// variables, for a host service that keeps them in its own configuration: `aws_endpoint`, `aws_allow_http`,
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_region`, …
    pub audio_store_options: std::collections::BTreeMap<String, String>,
    /// The base URL Twilio reaches this server at (`STORYLINE_PUBLIC_URL`). Webhook URLs and signature checks use it.
    /// Default: `http://{address}:{port}` of this server, which is right for the sandbox only.
    pub public_url: Option<String>,
    /// `TWILIO_ACCOUNT_SID`. Without credentials the server runs the sandbox.
    pub twilio_account_sid: Option<String>,
    /// `TWILIO_AUTH_TOKEN`: signs webhooks, and authenticates REST calls unless an API key is given.
    pub twilio_auth_token: Option<String>,
    /// `TWILIO_SECONDARY_AUTH_TOKEN`: also accepted on webhooks while the auth token is being rotated.
    pub twilio_secondary_auth_token: Option<String>,
    /// `TWILIO_API_KEY` (`SK…`): authenticates REST calls instead of the auth token.
    pub twilio_api_key: Option<String>,
    /// `TWILIO_API_SECRET`: the API key's secret.
    pub twilio_api_secret: Option<String>,
    /// `TWILIO_FROM_NUMBER`: the Twilio number that calls the storyteller.
    pub twilio_from_number: Option<String>,
    /// `TWILIO_API_BASE_URL`: any Twilio-compatible server.
    pub twilio_api_base_url: String,
    /// `STORYLINE_GREETING`: what the voice says before the beep.
    pub greeting: String,
    /// `STORYLINE_GREETING_AUDIO_URL`: an audio file to play instead of the spoken greeting.
    pub greeting_audio_url: Option<String>,
    /// `STORYLINE_VOICE`: the text-to-speech voice of the greeting.
    pub voice: String,
    /// `STORYLINE_MAX_STORY_SECONDS`: the longest story one call records (Twilio allows up to 14400).
    pub max_story_seconds: u32,
    /// `STORYLINE_FINISH_KEY`: the key that ends the story.
    pub finish_key: char,
    /// `STORYLINE_DEFAULT_COUNTRY`: how numbers typed without a country code are read (ISO 3166 code).
    pub default_country: String,
    /// `STORYLINE_KEEP_TWILIO_COPY`: leave Twilio's copy of a recording after it is stored here.
    pub keep_twilio_copy: bool,
    /// `STORYLINE_RING_SECONDS`: how long the phone rings before the call counts as unanswered.
    pub ring_seconds: u32,
    /// `STORYLINE_SANDBOX_SPEED`: how much faster than real time the embedded sandbox runs calls (and, with it, the
    /// server's background timings). Ignored in live mode.
    pub sandbox_speed: f64,
    /// `STORYLINE_TEST_TIME_SCALE`: for tests only, how much faster than real time the server's background timings
    /// run against a local Twilio stand-in (a `TWILIO_API_BASE_URL` on this machine). Refused with any other Twilio.
    pub test_time_scale: Option<f64>,
    /// `STORYLINE_SANDBOX_FAULTS`: faults the embedded sandbox injects, e.g. `drop=0.1,duplicate=0.2` (see `sandbox::faults`).
    pub sandbox_faults: Option<String>,
    /// `STORYLINE_CALLS_PER_NUMBER_PER_HOUR` (default 5): calls placed to one number in any hour, retries included;
    /// beyond it the form answers 429. 0 turns the limit off.
    pub calls_per_number_per_hour: u32,
    /// `STORYLINE_CALLS_PER_NUMBER_PER_DAY` (default 10): calls placed to one number in any 24 hours. 0 turns the
    /// limit off.
    pub calls_per_number_per_day: u32,
    /// `STORYLINE_UNANSWERED_IN_A_ROW` (default 2): after this many calls in a row to one number went unanswered (no
    /// answer, busy, an answering machine), the number is not called again for 24 hours. 0 turns it off.
    pub unanswered_in_a_row: u32,
    /// `STORYLINE_SERVICE_CALLS_PER_HOUR` (default 500): the whole service's budget of calls placed in any hour,
    /// over every instance. Beyond it the form shows a "we're very busy" page, the API answers 503, and the log says
    /// which budget was spent. 0 turns it off.
    pub service_calls_per_hour: u32,
    /// `STORYLINE_SERVICE_CALLS_PER_DAY` (default 2000): the same, in any 24 hours.
    pub service_calls_per_day: u32,
    /// `STORYLINE_SERVICE_MINUTES_PER_HOUR` (default 5000): the whole service's budget of call minutes in any hour (as
    /// Twilio bills them, rounded up per call; a call still going on counts for its minutes so far). 0 turns it off.
    pub service_minutes_per_hour: u32,
    /// `STORYLINE_SERVICE_MINUTES_PER_DAY` (default 20000): the same, in any 24 hours.
    pub service_minutes_per_day: u32,
    /// `STORYLINE_CALLS_PER_ADDRESS_PER_HOUR` (default 20): calls one client address may ask for in any hour (an IPv6
    /// address counts by its /56 network). The address is the peer's, unless the peer is a trusted proxy
    /// (`trusted_proxies`). 0 turns the limit off.
    pub calls_per_address_per_hour: u32,
    /// `STORYLINE_TRUSTED_PROXIES` (default: none): the reverse proxies or load balancers in front of Storyline, as
    /// addresses or networks separated by commas (`10.0.0.0/8,192.0.2.7`). Only a request from one of them is
    /// believed about its client: the `ROCKET_IP_HEADER` header (default `X-Real-IP`), else the last address in
    /// `X-Forwarded-For` that is not itself a trusted proxy. Anyone else's headers are ignored, so no client can
    /// choose its own address.
    pub trusted_proxies: String,
    /// `STORYLINE_ALLOWED_COUNTRIES` (default `US,CA`): the ISO 3166 codes, separated by commas, of the countries whose
    /// numbers may be called. Premium-rate, shared-cost, toll-free, UAN, personal, pager and voicemail numbers are
    /// refused whatever the country.
    pub allowed_countries: String,
    /// `STORYLINE_CALLS_PER_SECOND` (default 1): the Twilio account's outbound calls per second. Calls are placed no
    /// faster; a storyteller whose call would wait more than a few seconds sees the recording page while it waits.
    pub calls_per_second: f64,
    /// `STORYLINE_ALLOW_HTTP`: let live mode run on a plain-`http` public URL that is not a loopback address (Twilio
    /// then sends webhooks, and storytellers their pages, unencrypted). Off by default.
    pub allow_http: bool,
    /// `STORYLINE_TIME_ZONE` (default `America/New_York`): the IANA time zone pages write times in when the browser
    /// runs no JavaScript (with JavaScript, the page shows the browser's own time).
    pub time_zone: String,
    /// `STORYLINE_KEEP_STORIES_DAYS` (default: unset, stories are kept until deleted): delete each story (its audio,
    /// number and Twilio's copy), this many days after its call ended.
    pub keep_stories_days: Option<u32>,
    /// `STORYLINE_API_KEY`: the bearer key of the API for host services (`{base}/api/v1/…`). Unset, the API is off
    /// and answers 404.
    pub api_key: Option<String>,
    /// `STORYLINE_EVENTS_URL`: where events (`story.completed`, `story.ended`) are POSTed. Unset, none are sent.
    pub events_url: Option<String>,
    /// `STORYLINE_EVENTS_SECRET`: signs the events (`Storyline-Signature`, checked with
    /// `storyline_core::events::verify`). Required with `events_url`.
    pub events_secret: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            audio_store: None,
            audio_store_options: std::collections::BTreeMap::new(),
            public_url: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_secondary_auth_token: None,
            twilio_api_key: None,
            twilio_api_secret: None,
            twilio_from_number: None,
            twilio_api_base_url: "https://api.twilio.com".into(),
            greeting: "Hello, this is Storyline. Thank you for sharing a story. \
                       After the beep, please tell your story in your own words. \
                       When you are finished, press the pound key, or simply hang up."
                .into(),
            greeting_audio_url: None,
            voice: "Polly.Joanna".into(),
            max_story_seconds: 1800,
            finish_key: '#',
            default_country: "US".into(),
            keep_twilio_copy: false,
            ring_seconds: 30,
            sandbox_speed: 1.0,
            test_time_scale: None,
            sandbox_faults: None,
            calls_per_number_per_hour: 5,
            calls_per_address_per_hour: 20,
            calls_per_number_per_day: 10,
            unanswered_in_a_row: 2,
            service_calls_per_hour: 500,
            service_calls_per_day: 2000,
            service_minutes_per_hour: 5000,
            service_minutes_per_day: 20000,
            trusted_proxies: String::new(),
            allowed_countries: "US,CA".into(),
            calls_per_second: 1.0,
            allow_http: false,
            time_zone: "America/New_York".into(),
            keep_stories_days: None,
            api_key: None,
            events_url: None,
            events_secret: None,
        }
    }
}

/// The key Storyline's settings live under in a Rocket's figment.
pub const FIGMENT_KEY: &str = "storyline";

impl Settings {
    /// The stand-alone server's figment: Rocket's own (`Rocket.toml`, `ROCKET_*`) with [`Settings::from_env`]
    /// merged in, and Rocket's request log quiet unless `ROCKET_LOG_LEVEL` asks for it.
    pub fn figment() -> Figment {
        let mut base = rocket::Config::figment();
        if std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
            // Rocket's per-request log drowns the start-up message and our own structured logs (`RUST_LOG`).
            base = base.merge(("log_level", rocket::config::LogLevel::Critical));
        }
        base.merge(Settings::from_env())
    }

    /// Storyline's environment variables, under the key `storyline`: `STORYLINE_*` (for example
    /// `STORYLINE_DATA_DIR` becomes `storyline.data_dir`) and `TWILIO_*` (`TWILIO_AUTH_TOKEN` becomes
    /// `storyline.twilio_auth_token`). A host service merges this into its own figment to take the same variables.
    pub fn from_env() -> Figment {
        let mut figment = Figment::new()
            .merge(
                Env::prefixed("STORYLINE_")
                    .map(|k| format!("{FIGMENT_KEY}.{}", k.as_str().to_ascii_lowercase()).into())
                    .global(),
            )
            .merge(
                Env::prefixed("TWILIO_")
                    .map(|k| format!("{FIGMENT_KEY}.twilio_{}", k.as_str().to_ascii_lowercase()).into())
                    .global(),
            );
        // Figment reads environment values as TOML-like literals, so `+12015550199` or an all-digit token would become a
        // number. These settings are text whatever they look like.
        for (var, key) in TEXT_SETTINGS {
            if let Ok(value) = std::env::var(var) {
                figment = figment.merge(Serialized::global(&format!("{FIGMENT_KEY}.{key}"), value));
            }
        }
        figment
    }

    /// Reads the settings from a Rocket's figment (its `storyline` key; every setting has a default).
    pub fn from_figment(figment: &Figment) -> Result<Settings, Box<rocket::figment::Error>> {
        if figment.contains(FIGMENT_KEY) {
            figment.focus(FIGMENT_KEY).extract().map_err(Box::new)
        } else {
            Ok(Settings::default())
        }
    }

    /// The longest a call may last (Twilio's `TimeLimit`), in seconds: the longest story, with room for the greeting
    /// and the goodbye.
    pub(crate) fn call_time_limit_secs(&self) -> u32 {
        self.max_story_seconds.saturating_add(600)
    }

    /// Whether Twilio credentials are configured; without them the server runs the sandbox.
    pub fn has_twilio_credentials(&self) -> bool {
        self.twilio_account_sid.is_some()
            && (self.twilio_auth_token.is_some() || (self.twilio_api_key.is_some() && self.twilio_api_secret.is_some()))
    }

    /// Whether any Twilio setting is given: then all that live mode needs must be, or the server refuses to start
    /// (rather than quietly run the sandbox on a live site).
    pub(crate) fn names_twilio(&self) -> bool {
        [
            &self.twilio_account_sid,
            &self.twilio_auth_token,
            &self.twilio_secondary_auth_token,
            &self.twilio_api_key,
            &self.twilio_api_secret,
            &self.twilio_from_number,
        ]
        .iter()
        .any(|s| s.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }

    /// What live mode lacks, as the setting to give: `None` when it has all it needs.
    pub(crate) fn live_mode_lacks(&self) -> Option<&'static str> {
        let missing = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
        if missing(&self.twilio_account_sid) {
            Some("TWILIO_ACCOUNT_SID")
        } else if missing(&self.twilio_auth_token) {
            // Twilio signs its webhooks with the auth token, whatever authenticates our REST calls.
            Some("TWILIO_AUTH_TOKEN")
        } else if !missing(&self.twilio_api_key) && missing(&self.twilio_api_secret) {
            Some("TWILIO_API_SECRET")
        } else if missing(&self.twilio_api_key) && !missing(&self.twilio_api_secret) {
            Some("TWILIO_API_KEY")
        } else if missing(&self.twilio_from_number) {
            Some("TWILIO_FROM_NUMBER")
        } else if missing(&self.public_url) {
            Some("STORYLINE_PUBLIC_URL")
        } else {
            None
        }
    }
}

/// Settings that are text even when they look like numbers: (environment variable, key).
const TEXT_SETTINGS: [(&str, &str); 18] = [
    ("STORYLINE_TRUSTED_PROXIES", "trusted_proxies"),
    ("STORYLINE_DATABASE_URL", "database_url"),
    ("STORYLINE_AUDIO_STORE", "audio_store"),
    ("STORYLINE_API_KEY", "api_key"),
    ("STORYLINE_EVENTS_URL", "events_url"),
    ("STORYLINE_EVENTS_SECRET", "events_secret"),
    ("STORYLINE_PUBLIC_URL", "public_url"),
    ("STORYLINE_GREETING", "greeting"),
    ("STORYLINE_GREETING_AUDIO_URL", "greeting_audio_url"),
    ("STORYLINE_VOICE", "voice"),
    ("STORYLINE_DEFAULT_COUNTRY", "default_country"),
    ("TWILIO_ACCOUNT_SID", "twilio_account_sid"),
    ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    ("TWILIO_SECONDARY_AUTH_TOKEN", "twilio_secondary_auth_token"),
    ("TWILIO_API_KEY", "twilio_api_key"),
    ("TWILIO_API_SECRET", "twilio_api_secret"),
    ("TWILIO_FROM_NUMBER", "twilio_from_number"),
    ("TWILIO_API_BASE_URL", "twilio_api_base_url"),
];

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("audio_store", &self.audio_store)
            .field(
                "audio_store_options",
                &self.audio_store_options.keys().collect::<Vec<_>>(),
            )
            .field("public_url", &self.public_url)
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field("twilio_auth_token", &redact(&self.twilio_auth_token))
            .field(
                "twilio_secondary_auth_token",
                &redact(&self.twilio_secondary_auth_token),
            )
            .field("twilio_api_key", &self.twilio_api_key)
            .field("twilio_api_secret", &redact(&self.twilio_api_secret))
            .field("twilio_from_number", &self.twilio_from_number)
            .field("twilio_api_base_url", &self.twilio_api_base_url)
            .field("max_story_seconds", &self.max_story_seconds)
            .field("finish_key", &self.finish_key)
            .field("default_country", &self.default_country)
            .field("keep_twilio_copy", &self.keep_twilio_copy)
            .field("sandbox_speed", &self.sandbox_speed)
            .field("test_time_scale", &self.test_time_scale)
            .field("calls_per_number_per_hour", &self.calls_per_number_per_hour)
            .field("calls_per_address_per_hour", &self.calls_per_address_per_hour)
            .field("calls_per_number_per_day", &self.calls_per_number_per_day)
            .field("unanswered_in_a_row", &self.unanswered_in_a_row)
            .field("service_calls_per_hour", &self.service_calls_per_hour)
            .field("service_calls_per_day", &self.service_calls_per_day)
            .field("service_minutes_per_hour", &self.service_minutes_per_hour)
            .field("service_minutes_per_day", &self.service_minutes_per_day)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("allowed_countries", &self.allowed_countries)
            .field("calls_per_second", &self.calls_per_second)
            .field("time_zone", &self.time_zone)
            .field("keep_stories_days", &self.keep_stories_days)
            .field("api_key", &redact(&self.api_key))
            .field("events_url", &self.events_url)
            .field("events_secret", &redact(&self.events_secret))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own large error type.
    fn numbers_and_tokens_stay_text_when_they_look_like_numbers() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TWILIO_FROM_NUMBER", "+12015550199");
            jail.set_env("TWILIO_AUTH_TOKEN", "12345678901234567890123456789012");
            jail.set_env("STORYLINE_MAX_STORY_SECONDS", "90");
            let s = Settings::from_figment(&Settings::figment()).map_err(|e| *e)?;
            assert_eq!(s.twilio_from_number.as_deref(), Some("+12015550199"));
            assert_eq!(s.twilio_auth_token.as_deref(), Some("12345678901234567890123456789012"));
            assert_eq!(s.max_story_seconds, 90);
            Ok(())
        });
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let s = Settings {
            twilio_auth_token: Some("super-secret-token".into()),
            twilio_api_secret: Some("another-secret".into()),
            api_key: Some("third-secret".into()),
            events_secret: Some("fourth-secret".into()),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            ["super-secret-token", "another-secret", "third-secret", "fourth-secret"]
                .iter()
                .all(|secret| !shown.contains(secret)),
            "{shown}"
        );
    }
}
