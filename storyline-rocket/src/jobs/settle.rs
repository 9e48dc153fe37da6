//! Calls whose placement Twilio never confirmed: the request to place one timed out, its connection broke, or Twilio
//! answered 5xx, so Twilio may well have placed the call, and the storyteller's phone may be ringing. The recording is
//! kept (its webhooks answer as usual), and this job asks Twilio: the call to that number since the recording was
//! asked for is adopted; if Twilio still lists none after a while, the recording ends as `failed`.

use std::time::Duration;

use storyline_core::recording::{Event, Status};
use storyline_core::{CallSid, RecordingId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::Outcome;
use crate::app::App;
use crate::store::now_ms;
use crate::story;

/// How long Twilio is given to list a call it placed (it lists a call the moment it is queued): after that, with
/// no call listed and no callback, the call was not placed.
const LISTED_WITHIN: Duration = Duration::from_secs(120);

/// How far Twilio's clock may be behind ours.
const CLOCK_SLACK_MS: i64 = 60_000;

/// Twilio's `date_created` (`Tue, 01 Dec 2026 14:03:40 +0000`) in milliseconds since the epoch.
fn created_ms(date: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(date, &Rfc2822).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Settles one recording's call.
pub(super) async fn call(app: &App, id: &RecordingId) -> Outcome {
    let row = match app.store.get(id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Outcome::Done,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    // A callback named the call meanwhile, or the recording ended otherwise: nothing to settle.
    if row.call_sid.is_some() || row.recording.status() != Status::Calling {
        return Outcome::Done;
    }
    let page = match app.twilio.list_calls().to(row.phone.e164()).page_size(20).send().await {
        Ok(page) => page,
        Err(e) => return Outcome::Retry(format!("listing the calls to the number failed: {e}")),
    };
    let since = row.created_at - CLOCK_SLACK_MS;
    let mut placed: Vec<(i64, CallSid)> = page
        .calls
        .into_iter()
        .filter(|c| c.from.as_deref().is_none_or(|from| from == app.from_number))
        .filter_map(|c| Some((created_ms(c.date_created.as_deref()?)?, c.sid?)))
        .filter(|(created, _)| *created >= since)
        .collect();
    // The earliest call no other recording has: a call placed for a later request to the same number is that one's.
    placed.sort();
    for (_, call_sid) in placed {
        match app.store.call_taken(&call_sid, id).await {
            Ok(true) => continue,
            Ok(false) => {
                tracing::info!(recording = %id.log_tag(), "found the call twilio placed without confirming it");
                return match story::apply(app, id, Event::CallPlaced { call_sid }).await {
                    Ok(_) => Outcome::Done,
                    Err(e) => Outcome::Retry(e.to_string()),
                };
            }
            Err(e) => return Outcome::Retry(e.to_string()),
        }
    }
    if now_ms() - row.created_at < i64::try_from(app.delay(LISTED_WITHIN.as_secs()).as_millis()).unwrap_or(i64::MAX) {
        return Outcome::Retry("twilio lists no such call yet".into());
    }
    tracing::warn!(recording = %id.log_tag(), "twilio did not confirm a call and lists none: it was not placed");
    let event = Event::CallRejected {
        code: None,
        message: "twilio did not confirm the call, and lists no such call".into(),
    };
    match story::apply(app, id, event).await {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilios_dates_are_read() {
        assert_eq!(created_ms("Tue, 01 Dec 2026 14:03:40 +0000"), Some(1_796_133_820_000));
        assert_eq!(created_ms("yesterday"), None);
    }
}
