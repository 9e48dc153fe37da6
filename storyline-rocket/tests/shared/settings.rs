//! The settings every in-process test server starts from, shared by the test harnesses (`common`, `abuse_support`,
//! `browser_support`) through `#[path]`: its own data directory and port, quiet, shut down at once, the sandbox at
//! test speed, and nothing taken from Twilio settings or faults that happen to be in the environment.

use std::path::Path;

use rocket::figment::Figment;
use storyline_rocket::Settings;

/// Settings for a server under test; merge the test's own on top.
pub fn isolated(data_dir: &Path, port: u16) -> Figment {
    let mut figment = Settings::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("data_dir", data_dir))
        .merge(("sandbox_speed", 20.0))
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
    ] {
        figment = figment.merge((key, None::<String>));
    }
    figment
}
