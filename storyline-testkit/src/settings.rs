//! The settings every in-process test server starts from: its own data directory and port, quiet, shut down at once, the sandbox at
//! test speed, and nothing taken from Twilio settings or faults that happen to be in the environment.

use std::path::Path;

use rocket::figment::Figment;
use storyline_rocket::{FIGMENT_KEY, Settings};

/// Settings for a server under test; merge the test's own on top.
pub fn isolated(data_dir: &Path, port: u16) -> Figment {
    let mut figment = Settings::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("storyline.data_dir", data_dir))
        .merge(("storyline.sandbox_speed", 20.0))
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false))
        .merge(("shutdown.grace", 0))
        .merge(("shutdown.mercy", 0))
        .merge(("shutdown.ctrlc", false));
    // Credentials in the environment must not turn a test into calls through them, and faults are the chaos tests'.
    for key in [
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_secondary_auth_token",
        "twilio_api_key",
        "twilio_api_secret",
        "twilio_from_number",
        "public_url",
        "greeting_audio_url",
        "sandbox_faults",
        "api_key",
        "events_url",
        "events_secret",
    ] {
        figment = figment.merge((format!("{FIGMENT_KEY}.{key}"), None::<String>));
    }
    figment
}
