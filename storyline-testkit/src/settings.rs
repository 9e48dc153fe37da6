//! The settings every in-process test server starts from: its own data directory and port, quiet, shut down at once, the sandbox at
//! test speed, and nothing taken from Twilio settings or faults that happen to be in the environment.

use std::path::Path;

use rocket::figment::Figment;
use storyline_rocket::{FIGMENT_KEY, Settings};

/// Every limit on placing calls, by its setting: a test of something else places calls as often as it needs.
pub const LIMITS: [&str; 8] = [
    "calls_per_number_per_hour",
    "calls_per_number_per_day",
    "unanswered_in_a_row",
    "calls_per_address_per_hour",
    "service_calls_per_hour",
    "service_calls_per_day",
    "service_minutes_per_hour",
    "service_minutes_per_day",
];

/// `figment` with every limit on placing calls turned off.
pub fn without_limits(mut figment: Figment) -> Figment {
    for key in LIMITS {
        figment = figment.merge((format!("{FIGMENT_KEY}.{key}"), 0));
    }
    figment
}

/// The same, as environment variables for the server binary.
pub fn without_limits_env() -> Vec<(String, String)> {
    LIMITS
        .iter()
        .map(|key| (format!("STORYLINE_{}", key.to_uppercase()), "0".to_owned()))
        .collect()
}

/// Settings for a server under test, with every limit on placing calls off (the abuse tests set the limits they
/// test); merge the test's own on top.
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
    without_limits(figment)
}
