//! Checks Twilio request signatures read as JSON lines, the way the Storyline server does.
//!
//! ```text
//! cargo run -q --example validate_signature -- --jsonl < requests.jsonl
//! ```
//!
//! Each input line is an object:
//! `{"token": "...", "url": "...", "params": [["Name", "Value"], ...], "signature": "...",
//! "body": "raw body (optional)", "settings": "X-Twilio-Webhooks-Signature-Settings (optional)"}`.
//! `url` is the full URL as configured in Twilio. Without `body` the params are validated as a
//! form POST; with `body` the request is validated as a raw body whose hash the URL carries in
//! `bodySHA256`. One line is printed per input: `valid` or `invalid`. A line that cannot be read
//! is `invalid`, with the reason on stderr.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::Value;
use storyline_core::AuthToken;
use storyline_core::signature::Validator;

fn main() -> ExitCode {
    if std::env::args().skip(1).ne(["--jsonl".to_owned()]) {
        eprintln!("usage: validate_signature --jsonl < requests.jsonl");
        return ExitCode::from(2);
    }
    let mut out = io::stdout().lock();
    for (number, line) in io::stdin().lock().lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                eprintln!("cannot read stdin: {err}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let verdict = match check(&line) {
            Ok(()) => "valid",
            Err(reason) => {
                eprintln!("line {}: {reason}", number + 1);
                "invalid"
            }
        };
        if writeln!(out, "{verdict}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Validates one request, or says why it is invalid.
fn check(line: &str) -> Result<(), String> {
    let request: Value = serde_json::from_str(line).map_err(|err| format!("malformed json: {err}"))?;
    let text = |key: &str| match &request[key] {
        Value::String(s) => Ok(Some(s.as_str())),
        Value::Null => Ok(None),
        _ => Err(format!("{key} is not a string")),
    };
    let token: AuthToken = text("token")?
        .ok_or("missing token")?
        .parse()
        .map_err(|err| format!("token: {err}"))?;
    let url = text("url")?.ok_or("missing url")?;
    let signature = text("signature")?;
    let settings = text("settings")?;
    let validator = Validator::new(token);
    let result = match text("body")? {
        Some(body) => validator.validate_body(url, body.as_bytes(), signature, settings),
        None => validator.validate_form(url, &params(&request["params"])?, signature, settings),
    };
    result.map_err(|err| err.to_string())
}

/// The `[["Name", "Value"], ...]` pairs of a request; absent means none.
fn params(value: &Value) -> Result<Vec<(&str, &str)>, String> {
    let Some(pairs) = value.as_array() else {
        return if value.is_null() {
            Ok(Vec::new())
        } else {
            Err("params is not an array".into())
        };
    };
    pairs
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(name), Value::String(value)]) => Ok((name.as_str(), value.as_str())),
            _ => Err(format!("param {pair} is not a [name, value] pair of strings")),
        })
        .collect()
}
