//! Reads one TwiML document on stdin and prints it as storyline-twiml renders it, on one line.
//!
//! ```sh
//! echo '<Response><Say voice="alice">Hi &amp; bye</Say><Hangup /></Response>' | cargo run -q --example twiml_roundtrip
//! ```
//!
//! A document it cannot accept is reported on stderr, with exit status 1.

use std::{io::Read, process::ExitCode};

use storyline_twiml::Response;

fn main() -> ExitCode {
    let mut input = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("error: cannot read stdin: {error}");
        return ExitCode::FAILURE;
    }
    match Response::parse(&input) {
        Ok(response) => {
            println!("{response}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
