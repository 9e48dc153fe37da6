//! Places a real phone call through Twilio's REST API with `storyline_core::client`.
//!
//! ```text
//! TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… TWILIO_FROM_NUMBER=+15017122661 \
//!   cargo run -p storyline-examples --example place_call -- --to +15558675310 \
//!   [--url https://example.com/twiml]
//! ```
//!
//! Environment:
//! - `TWILIO_ACCOUNT_SID` (required): the account, `AC` + 32 hex digits.
//! - `TWILIO_AUTH_TOKEN`: the account's auth token; or `TWILIO_API_KEY` (`SK…`) with
//!   `TWILIO_API_SECRET` instead.
//! - `TWILIO_FROM_NUMBER` (required): a Twilio number or verified caller id, E.164 (`+1…`).
//! - `TWILIO_TO_NUMBER`: the number to call, when `--to` is not given.
//! - `TWILIO_TWIML_URL`: the TwiML the call runs, when `--url` is not given (default: Twilio's demo).
//! - `TWILIO_API_BASE_URL`: another API base, such as Storyline's sandbox (default Twilio's).
//!
//! Prints the call SID and status, or Twilio's error code, message and `more_info`, and exits
//! non-zero on failure. Calling costs money on a paid account; a trial account can only call
//! verified numbers (error 21219).

use std::process::ExitCode;

use storyline_core::client::{Client, Error};
use storyline_core::{AccountSid, PhoneNumber};

const DEMO_TWIML: &str = "http://demo.twilio.com/docs/voice.xml";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The value following `flag` on the command line.
fn arg(flag: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == flag {
            return args.next();
        }
        if let Some(value) = a.strip_prefix(&format!("{flag}=")) {
            return Some(value.to_owned());
        }
    }
    None
}

fn build_client() -> Result<Client, String> {
    let account: AccountSid = env("TWILIO_ACCOUNT_SID")
        .ok_or("TWILIO_ACCOUNT_SID is not set")?
        .parse()
        .map_err(|e| format!("TWILIO_ACCOUNT_SID: {e}"))?;
    let mut builder = Client::builder().account_sid(account);
    builder = match (
        env("TWILIO_AUTH_TOKEN"),
        env("TWILIO_API_KEY"),
        env("TWILIO_API_SECRET"),
    ) {
        (_, Some(key), Some(secret)) => builder.api_key(key, secret),
        (Some(token), _, _) => builder.auth_token(token),
        _ => return Err("set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)".into()),
    };
    if let Some(base) = env("TWILIO_API_BASE_URL") {
        builder = builder.base_url(base);
    }
    builder.build().map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let client = match build_client() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let (Some(to), Some(from)) = (
        arg("--to").or_else(|| env("TWILIO_TO_NUMBER")),
        env("TWILIO_FROM_NUMBER"),
    ) else {
        eprintln!("usage: place_call --to +15558675310 [--url TWIML_URL] (and TWILIO_FROM_NUMBER set)");
        return ExitCode::from(2);
    };
    let url = arg("--url")
        .or_else(|| env("TWILIO_TWIML_URL"))
        .unwrap_or_else(|| DEMO_TWIML.to_owned());

    // Checked here so a typo fails at once rather than as Twilio error 21211.
    let (to, from) = match (to.parse::<PhoneNumber>(), from.parse::<PhoneNumber>()) {
        (Ok(to), Ok(from)) => (to, from),
        (Err(e), _) => {
            eprintln!("--to {to:?}: {e}");
            return ExitCode::from(2);
        }
        (_, Err(e)) => {
            eprintln!("TWILIO_FROM_NUMBER {from:?}: {e}");
            return ExitCode::from(2);
        }
    };

    match client.create_call(&to, &from).url(url).send().await {
        Ok(call) => {
            let sid = call.sid.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            let status = call.status.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            println!("call {sid}: {status}");
            ExitCode::SUCCESS
        }
        Err(Error::Api(e)) => {
            eprintln!("twilio refused the call (http {})", e.status);
            eprintln!("  code:      {}", e.code.map_or_else(|| "-".into(), |c| c.to_string()));
            eprintln!("  message:   {}", e.message);
            eprintln!("  more info: {}", e.more_info.as_deref().unwrap_or("-"));
            ExitCode::FAILURE
        }
        Err(e) => {
            // A timeout or a 5xx on create is not retried: the call may still have been placed.
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
