//! Runs a sandbox on its own, so any service (and several Storyline instances at once) can use it as Twilio.
//!
//! ```text
//! storyline-sandbox [--address 127.0.0.1] [--port 0] [--speed 1] [--faults drop=0.1,duplicate=0.2]
//! ```
//! It prints the settings to give the application (Storyline reads exactly these), then runs until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use storyline_sandbox::{Faults, Sandbox, SandboxConfig};

const USAGE: &str = "usage: storyline-sandbox [--address IP] [--port PORT] [--speed FACTOR] [--faults SPEC]";

fn parse(args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    let (mut ip, mut port): (IpAddr, u16) = (config.address.ip(), config.address.port());
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--address" => {
                ip = value
                    .parse()
                    .map_err(|_| format!("--address: not an IP address: {value}"))?
            }
            "--port" => port = value.parse().map_err(|_| format!("--port: not a port: {value}"))?,
            "--speed" => {
                config.speed = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| format!("--speed: not a positive number: {value}"))?;
            }
            "--faults" => config.faults = Faults::parse(&value).map_err(|e| format!("--faults: {e}"))?,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    config.address = SocketAddr::new(ip, port);
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("the sandbox could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("# A Twilio-compatible sandbox is listening. Give the application these settings:");
    println!("TWILIO_API_BASE_URL={}", sandbox.base_url);
    println!("TWILIO_ACCOUNT_SID={}", sandbox.account_sid);
    println!("TWILIO_AUTH_TOKEN={}", sandbox.auth_token.expose_secret());
    println!("TWILIO_FROM_NUMBER={}", sandbox.from_number);
    println!(
        "# The sandbox phone (answer calls to +1 201-555-0110 yourself): {}",
        sandbox.phone_url()
    );
    println!("# Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> impl Iterator<Item = String> {
        a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn reads_every_option() {
        let c = parse(args(&[
            "--address",
            "0.0.0.0",
            "--port",
            "4010",
            "--speed",
            "20",
            "--faults",
            "drop=0.5",
        ]))
        .unwrap();
        assert_eq!(c.address, "0.0.0.0:4010".parse().unwrap());
        assert_eq!(c.speed, 20.0);
        assert_eq!(c.faults.drop, 0.5);
    }

    #[test]
    fn refuses_bad_values_and_unknown_options() {
        assert!(parse(args(&["--speed", "0"])).is_err());
        assert!(parse(args(&["--port", "seventy"])).is_err());
        assert!(parse(args(&["--port"])).is_err());
        assert!(parse(args(&["--colour", "blue"])).is_err());
        assert!(parse(args(&["--faults", "gremlins=1"])).is_err());
    }
}
