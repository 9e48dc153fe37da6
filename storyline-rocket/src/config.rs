//! Settings, read through Rocket's figment: `Rocket.toml`, `ROCKET_*`, `STORYLINE_*` and `TWILIO_*` environment variables.

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
    /// `STORYLINE_SANDBOX_SPEED`: how much faster than real time the sandbox runs calls.
    pub sandbox_speed: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
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
        }
    }
}

impl Settings {
    /// Rocket's figment with Storyline's own sources merged in: `STORYLINE_*` and `TWILIO_*` environment variables
    /// (for example `TWILIO_AUTH_TOKEN` becomes `twilio_auth_token`).
    pub fn figment() -> Figment {
        let mut base = rocket::Config::figment();
        if std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
            // Rocket's per-request log drowns the start-up message and our own structured logs (`RUST_LOG`).
            base = base.merge(("log_level", rocket::config::LogLevel::Critical));
        }
        base.join(Serialized::defaults(Settings::default()))
            .merge(Env::prefixed("STORYLINE_").global())
            .merge(
                Env::prefixed("TWILIO_")
                    .map(|k| format!("twilio_{}", k.as_str().to_ascii_lowercase()).into())
                    .global(),
            )
    }

    /// Whether Twilio credentials are configured; without them the server runs the sandbox.
    pub fn has_twilio_credentials(&self) -> bool {
        self.twilio_account_sid.is_some()
            && (self.twilio_auth_token.is_some() || (self.twilio_api_key.is_some() && self.twilio_api_secret.is_some()))
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
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
            .finish_non_exhaustive()
    }
}
