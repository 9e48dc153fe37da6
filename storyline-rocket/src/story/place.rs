//! Placing a story's call: the number checked, the recording created within the limits, the call paced to the
//! account's rate, and Twilio asked to call.

use std::time::Duration;

use storyline_core::client::{CallEvent, CallbackMethod, MachineDetection};
use storyline_core::phone::PhoneError;
use storyline_core::recording::{Event, Status};
use storyline_core::{CallSid, PhoneNumber, RecordingId};

use super::apply;
use crate::abuse::{self, ClientAddress, NumberRefused};
use crate::app::App;
use crate::store::{DueJob, InsertError, Job, Limit, NewRecording, Scheduled, StoredRecording, now_ms};

/// Why Twilio refused to call a number: the storyteller can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The number cannot be called (invalid, unreachable).
    CannotBeCalled,
    /// The account may not call that country.
    Country,
    /// A trial account may call only verified numbers.
    Unverified,
    /// The number asked not to be called.
    OptedOut,
}

/// Why a call cannot be placed now: try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// Too many calls are waiting their turn, or Twilio says too many requests.
    Busy,
    /// Twilio is unreachable or failing.
    Unreachable,
}

/// Why a call could not be placed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlaceError {
    /// Twilio refused this number.
    #[error("twilio refused the number: {0:?}")]
    Refused(Refusal),
    /// The number or the client reached its hourly limit of calls.
    #[error("the {0:?} limit is reached")]
    Limited(Limit),
    /// Try again later.
    #[error("calls cannot be placed now: {0:?}")]
    Unavailable(Unavailable),
    /// Our side failed.
    #[error("{0}")]
    Internal(String),
}

/// Why a story was not started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    /// What was typed is not a phone number.
    #[error("not a phone number: {0}")]
    BadNumber(PhoneError),
    /// The number is one we never call.
    #[error("{0}")]
    NumberRefused(NumberRefused),
    /// The call could not be placed.
    #[error(transparent)]
    Place(#[from] PlaceError),
}

/// What a new story starts from.
pub(crate) struct StartRequest<'a> {
    /// The number, as typed.
    pub typed: &'a str,
    pub address: Option<&'a ClientAddress>,
    pub reference: Option<String>,
    pub prompt: Option<String>,
    /// The API's `Idempotency-Key` this request holds: the recording is noted on it before the call is placed.
    pub idempotency_key: Option<&'a str>,
    /// The browser that asks (`crate::store::StoredRecording::owner`): the only one shown the full number.
    pub owner: Option<String>,
}

/// Starts a story: reads and checks the number, then places the call ([`place_call`]).
pub(crate) async fn start(app: &App, request: StartRequest<'_>) -> Result<RecordingId, StartError> {
    let typed = request.typed.trim();
    let number = PhoneNumber::parse(typed, app.region).map_err(StartError::BadNumber)?;
    let display = display_number(&number, typed);
    start_number(app, number, display, request).await
}

/// Calls the number of an earlier story again, for the storyteller who asks (the rules apply again: they may have
/// changed since).
pub(crate) async fn start_again(
    app: &App,
    earlier: &StoredRecording,
    address: Option<&ClientAddress>,
) -> Result<RecordingId, StartError> {
    let request = StartRequest {
        typed: &earlier.phone_display,
        address,
        reference: earlier.reference.clone(),
        prompt: earlier.prompt.clone(),
        idempotency_key: None,
        // Whoever presses the button, the number stays shown in full only to the browser that first asked for it.
        owner: earlier.owner.clone(),
    };
    let number = earlier.phone.number().map_err(StartError::BadNumber)?;
    start_number(app, number, earlier.phone_display.clone(), request).await
}

async fn start_number(
    app: &App,
    number: PhoneNumber,
    display: String,
    request: StartRequest<'_>,
) -> Result<RecordingId, StartError> {
    app.guard.check_number(&number).map_err(StartError::NumberRefused)?;
    let new = NewRecording {
        id: RecordingId::random().map_err(|e| PlaceError::Internal(e.to_string()))?,
        phone_display: display,
        phone: number,
        reference: request.reference,
        prompt: request.prompt,
        owner: request.owner,
    };
    Ok(place_call(app, new, request.address, request.idempotency_key).await?)
}

/// Creates the recording (within the hourly limits), waits for the call's turn, asks Twilio to call, and returns the
/// recording's id. If Twilio refuses while the storyteller waits, nothing is kept. A call whose turn is more than
/// [`abuse::HOLD_FORM_AT_MOST`] away is placed in the background instead, and the id returned at once: the recording
/// stays `calling` until then, and a refusal then ends it as `failed`.
async fn place_call(
    app: &App,
    new: NewRecording,
    address: Option<&ClientAddress>,
    idempotency_key: Option<&str>,
) -> Result<RecordingId, PlaceError> {
    let id = new.id.clone();
    match app
        .store
        .insert_within_limits(&new, address.map(ClientAddress::as_str), &app.guard.limits)
        .await
    {
        Ok(()) => {}
        Err(InsertError::Limited(limit)) => {
            app.guard.refused(limit);
            return Err(PlaceError::Limited(limit));
        }
        Err(e) => return Err(PlaceError::Internal(e.to_string())),
    }
    if let Some(key) = idempotency_key
        && let Err(e) = super::idempotency::started(app, key, &id).await
    {
        let _ = app.store.delete_unplaced(&id).await;
        return Err(PlaceError::Internal(format!(
            "noting the recording on its idempotency key failed: {e}"
        )));
    }

    let turn = match app
        .store
        .take_turn(app.guard.call_interval_ms, millis(abuse::QUEUE_AT_MOST))
        .await
    {
        Ok(Some(at)) => at,
        Ok(None) => {
            let _ = app.store.delete_unplaced(&id).await;
            tracing::warn!("refused a call: the queue of calls waiting their turn is full");
            return Err(PlaceError::Unavailable(Unavailable::Busy));
        }
        Err(e) => {
            let _ = app.store.delete_unplaced(&id).await;
            return Err(PlaceError::Internal(format!("reserving the call's turn failed: {e}")));
        }
    };
    if turn - now_ms() > millis(abuse::HOLD_FORM_AT_MOST) {
        // The storyteller waits on the recording page; any instance places the call when its turn comes.
        let job = Scheduled {
            job: Job::PlaceCall { at: turn },
            run_at: turn - millis(CLAIM_AHEAD),
        };
        if let Err(e) = app.store.enqueue(&id, &[job]).await {
            let _ = app.store.delete_unplaced(&id).await;
            return Err(PlaceError::Internal(format!("queueing the call failed: {e}")));
        }
        return Ok(id);
    }
    wait_until(turn).await;
    match send_call(app, &id, new.phone.e164()).await {
        Sent::Placed(call_sid) => {
            apply(app, &id, Event::CallPlaced { call_sid })
                .await
                .map_err(|e| PlaceError::Internal(format!("saving the placed call failed: {e}")))?;
            Ok(id)
        }
        Sent::Unknown => {
            // The phone may be ringing: the storyteller waits on the recording page while Twilio is asked.
            settle(app, &id).await.map_err(PlaceError::Internal)?;
            Ok(id)
        }
        Sent::Refused(_, refusal) => {
            let _ = app.store.delete_unplaced(&id).await;
            Err(refusal)
        }
    }
}

/// How soon Twilio is first asked about a call it did not confirm.
const SETTLE_AFTER_SECS: u64 = 5;

/// Keeps a recording whose call Twilio may have placed without confirming it, and asks Twilio about it soon
/// (`jobs::settle`).
async fn settle(app: &App, id: &RecordingId) -> Result<(), String> {
    let job = Scheduled {
        job: Job::SettleCall,
        run_at: now_ms() + millis(app.delay(SETTLE_AFTER_SECS)),
    };
    app.store
        .enqueue(id, &[job])
        .await
        .map_err(|e| format!("asking about an unconfirmed call failed: {e}"))
}

/// How late a queued call may go at its own turn: later than this, its moment may be another call's.
const LATE_AT_MOST_MS: i64 = 50;

/// How long before its turn a queued call is claimed: it then waits for the turn itself, so calls go at their turns
/// and not at the worker's next look.
pub(crate) const CLAIM_AHEAD: Duration = Duration::from_secs(1);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

async fn wait_until(at_ms: i64) {
    let wait = at_ms - now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
    }
}

/// Places a queued call at its turn (`at`), unless its recording ended while it waited (the reconciler ends
/// recordings whose call seems lost): it must not ring then. Twilio's refusal ends the recording as `failed`.
///
/// The job's first attempt is counted just before Twilio is asked, in the store: a job taken over from an instance
/// that stopped after that moment never asks again (the storyteller may already be ringing), and the recording is
/// left to its callbacks, or to the reconciler.
pub(crate) async fn place_queued(app: &App, job: &DueJob, at: i64) {
    let id = &job.recording_id;
    if still_waiting(app, id).await.is_none() {
        return;
    }
    // Its turn passed while no instance held it (the one that did died): another call may have this moment now, so
    // it takes the next free turn instead, however far.
    let at = if now_ms() > at + LATE_AT_MOST_MS {
        match app.store.take_turn(app.guard.call_interval_ms, i64::MAX / 4).await {
            Ok(Some(turn)) => turn,
            Ok(None) => now_ms(),
            Err(e) => {
                tracing::error!("a late queued call could not take a new turn: {e}");
                return;
            }
        }
    } else {
        at
    };
    wait_until(at).await;
    // Read again: it may have ended while it waited for its turn.
    let Some(recording) = still_waiting(app, id).await else {
        return;
    };
    match app.store.first_attempt(job).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("a queued call was not placed again: an instance that stopped may have placed it");
            if let Err(e) = settle(app, id).await {
                tracing::error!("{e}");
            }
            return;
        }
        Err(e) => {
            tracing::error!("a queued call could not be marked as tried: {e}");
            return;
        }
    }
    let event = match send_call(app, id, recording.phone.e164()).await {
        Sent::Placed(call_sid) => Event::CallPlaced { call_sid },
        Sent::Unknown => {
            if let Err(e) = settle(app, id).await {
                tracing::error!("{e}");
            }
            return;
        }
        Sent::Refused(code, refusal) => Event::CallRejected {
            code,
            message: refusal.to_string(),
        },
    };
    if let Err(e) = apply(app, id, event).await {
        tracing::error!("saving a queued call's placement failed: {e}");
    }
}

/// The recording of a queued call, if it still waits for its call (not ended meanwhile, by the reconciler or a
/// refusal); otherwise says why it will not be placed.
async fn still_waiting(app: &App, id: &RecordingId) -> Option<StoredRecording> {
    match app.store.get(id).await {
        Ok(Some(r)) if r.recording.status() == Status::Calling && r.call_sid.is_none() => Some(r),
        Ok(_) => {
            tracing::warn!("a queued call was not placed: its recording ended while it waited");
            None
        }
        Err(e) => {
            tracing::error!("a queued call could not be read: {e}");
            None
        }
    }
}

/// What Twilio said to a request to place a call.
enum Sent {
    /// It placed the call.
    Placed(CallSid),
    /// It did not say, or failed while answering: it may have placed the call.
    Unknown,
    /// It refused, with its error code when it gave one: no call was placed.
    Refused(Option<u32>, PlaceError),
}

/// Asks Twilio to place a recording's call.
async fn send_call(app: &App, id: &RecordingId, to: &str) -> Sent {
    let s = &app.settings;
    let result = app
        .twilio
        .create_call(to, &app.from_number)
        .url(app.webhook_url(id, "call_started"))
        .method(CallbackMethod::Post)
        .status_callback(app.webhook_url(id, "call_status"))
        .status_callback_events([
            CallEvent::Initiated,
            CallEvent::Ringing,
            CallEvent::Answered,
            CallEvent::Completed,
        ])
        .machine_detection(MachineDetection::Enable)
        .timeout(Duration::from_secs(u64::from(s.ring_seconds)))
        .time_limit(Duration::from_secs(u64::from(s.call_time_limit_secs())))
        .send()
        .await;
    match result {
        Ok(call) => match call.sid {
            Some(sid) => Sent::Placed(sid),
            None => {
                tracing::warn!(recording = %id.log_tag(), "twilio accepted a call without naming it");
                Sent::Unknown
            }
        },
        Err(e) if e.may_have_taken_effect() => {
            tracing::warn!(recording = %id.log_tag(), status = ?e.status(), "twilio may have placed a call without confirming it: {e}");
            Sent::Unknown
        }
        Err(e) => {
            tracing::warn!(recording = %id.log_tag(), code = ?e.code(), status = ?e.status(), "twilio refused to place a call: {e}");
            Sent::Refused(e.code(), refusal(&e))
        }
    }
}

/// The number as the person typed it, if it is a tidy national spelling; otherwise the national format.
fn display_number(number: &PhoneNumber, typed: &str) -> String {
    if typed.is_empty() {
        return number.national();
    }
    let tidy = typed.chars().all(|c| c.is_ascii_digit() || " -().+".contains(c));
    if tidy && typed.chars().filter(char::is_ascii_digit).count() >= 7 {
        typed.to_owned()
    } else {
        number.national()
    }
}

fn refusal(e: &storyline_core::client::Error) -> PlaceError {
    match e.code() {
        Some(21211 | 21217 | 21214 | 21401 | 21201) => PlaceError::Refused(Refusal::CannotBeCalled),
        Some(21215 | 21216 | 21408 | 13227) => PlaceError::Refused(Refusal::Country),
        Some(21219) => PlaceError::Refused(Refusal::Unverified),
        Some(21610) => PlaceError::Refused(Refusal::OptedOut),
        Some(20429) => PlaceError::Unavailable(Unavailable::Busy),
        _ if e.status() == Some(429) => PlaceError::Unavailable(Unavailable::Busy),
        _ => PlaceError::Unavailable(Unavailable::Unreachable),
    }
}
