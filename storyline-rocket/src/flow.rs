//! The story flow: placing calls, applying Twilio's webhooks to the recording state machine durably, answering with
//! TwiML, and carrying out the effects (copying media, deleting Twilio's copy, reconciling lost callbacks).

use std::time::Duration;

use rocket::http::Status as Http;
use rocket::serde::json::{Value, json};
use serde::{Deserialize, Serialize};
use storyline_core::client::{CallEvent, MachineDetection, MediaFormat};
use storyline_core::phone::PhoneError;
use storyline_core::recording::{
    CallAnswered, CallStatusCallback, Effect, Event, Reconciliation, RecordAction, Recording, RecordingReport,
    RecordingStatusCallback, Status, StoredMedia,
};
use storyline_core::{CallSid, PhoneNumber, RecordingId, RecordingSid};
use storyline_twiml::{Method, Play, Record, RecordingEvent, Response, Say, Trim};

use crate::App;
use crate::app::StatusChange;
use crate::db::{self, NewJob, RecordingRow};
use crate::guard;
use crate::pages::{AudioView, RecordingView};

/// Which webhook a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// The call was answered: Twilio wants TwiML.
    CallStarted,
    /// `<Record action>`.
    Recorded,
    /// The call's status callback.
    CallStatus,
    /// The recording's status callback.
    RecordingStatus,
}

/// Words for a number the form cannot use.
pub fn phone_error_words(e: &PhoneError) -> String {
    match e {
        PhoneError::Empty => "Please type your phone number, for example 917-555-2368.".into(),
        PhoneError::Extension => {
            "We can't dial extensions. Please give a number that rings your phone directly.".into()
        }
        PhoneError::InvalidForRegion { .. } => {
            "That number doesn't look complete. Please check it, including the area code, and try again.".into()
        }
        PhoneError::UnknownCountryCode => {
            "That country code doesn't exist. Check the digits after the + sign, or leave the + out for a US number."
                .into()
        }
        _ => "That doesn't look like a phone number. Please type it like this: 917-555-2368.".into(),
    }
}

/// Why a call could not be placed, in words for the storyteller.
#[derive(Debug)]
pub enum PlaceError {
    /// Twilio (or our own limits) refused this number: the storyteller can fix it.
    Refused(String),
    /// Twilio is unreachable or failing, or too many calls are waiting their turn: try again later.
    Unavailable(String),
    /// The number or the client reached its hourly limit of calls: wait a while.
    Limited(String),
    /// Our side failed.
    Internal(String),
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

impl crate::app::Inner {
    /// Background delays the state machine asks for, in real time. `STORYLINE_SANDBOX_SPEED` compresses them as it
    /// compresses the sandbox's calls (tests run an external sandbox faster than real time); it is 1 in production.
    pub fn delay(&self, secs: u64) -> Duration {
        let speed = self.settings.sandbox_speed.max(1.0);
        Duration::from_secs_f64(secs as f64 / speed)
    }
}

/// Creates the recording (within the hourly limits of [`crate::guard`]), waits for the call's turn, asks Twilio to
/// call, and returns the recording's id. If Twilio refuses while the storyteller waits, nothing is kept. A call whose
/// turn is more than [`guard::HOLD_FORM_AT_MOST`] away is placed in the background instead, and the id returned at
/// once: the recording stays `calling` until then, and a refusal then ends it as `failed`.
pub async fn place_call(
    app: &App,
    number: &PhoneNumber,
    typed: &str,
    address: Option<&guard::ClientAddress>,
) -> Result<RecordingId, PlaceError> {
    let id = RecordingId::random().map_err(|e| PlaceError::Internal(e.to_string()))?;
    let recording = Recording::new();
    let now = db::now_ms();
    let display = if typed.is_empty() {
        number.national()
    } else {
        display_number(number, typed)
    };
    let row = RecordingRow {
        id: id.to_string(),
        phone: number.e164().to_owned(),
        phone_display: display,
        call_sid: None,
        status: recording.status().as_str().to_owned(),
        state: serde_json::to_string(&recording).map_err(|e| PlaceError::Internal(e.to_string()))?,
        created_at: now,
        updated_at: now,
    };
    match app.guard.limits.insert(&app.pool, &row, address).await {
        Ok(()) => {}
        Err(guard::AdmitError::Limited(limit)) => {
            tracing::info!(?limit, "refused a call over the hourly limit");
            return Err(PlaceError::Limited(limit.words().into()));
        }
        Err(e) => return Err(PlaceError::Internal(e.to_string())),
    }

    let Some(turn) = app.guard.pacer.reserve(guard::QUEUE_AT_MOST) else {
        let _ = db::delete_unplaced(&app.pool, id.as_str()).await;
        tracing::warn!("refused a call: the queue of calls waiting their turn is full");
        return Err(PlaceError::Unavailable(
            "We're placing a lot of calls right now. Please try again in a minute.".into(),
        ));
    };
    if turn.wait_time() > guard::HOLD_FORM_AT_MOST {
        let (app, queued, number) = (app.clone(), id.clone(), number.clone());
        tokio::spawn(async move {
            turn.wait().await;
            let id = queued;
            // Ended while it waited (the reconciler ends recordings whose call seems lost): it must not ring now.
            match db::get(&app.pool, id.as_str()).await {
                Ok(Some(row)) if row.status == Status::Calling.as_str() && row.call_sid.is_none() => {}
                _ => {
                    tracing::warn!(recording = %id, "a queued call was not placed: its recording ended while it waited");
                    return;
                }
            }
            let event = match send_call(&app, &id, &number).await {
                Ok(call_sid) => Event::CallPlaced { call_sid },
                Err((code, words)) => Event::CallRejected {
                    code,
                    message: words.message().to_owned(),
                },
            };
            if let Err(status) = apply(&app, &id, event).await {
                tracing::error!(recording = %id, "saving a queued call's placement failed: {status}");
            }
        });
        return Ok(id);
    }
    turn.wait().await;
    match send_call(app, &id, number).await {
        Ok(call_sid) => {
            apply(app, &id, Event::CallPlaced { call_sid })
                .await
                .map_err(|_| PlaceError::Internal("saving the placed call failed".into()))?;
            Ok(id)
        }
        Err((_, refusal)) => {
            let _ = db::delete_unplaced(&app.pool, id.as_str()).await;
            Err(refusal)
        }
    }
}

/// Asks Twilio to place a recording's call. A refusal comes with Twilio's error code, when it gave one.
async fn send_call(app: &App, id: &RecordingId, number: &PhoneNumber) -> Result<CallSid, (Option<u32>, PlaceError)> {
    let s = &app.settings;
    let result = app
        .twilio
        .create_call(number.e164(), &app.from_number)
        .url(app.webhook_url(id.as_str(), "call_started"))
        .method(storyline_core::client::CallbackMethod::Post)
        .status_callback(app.webhook_url(id.as_str(), "call_status"))
        .status_callback_events([
            CallEvent::Initiated,
            CallEvent::Ringing,
            CallEvent::Answered,
            CallEvent::Completed,
        ])
        .machine_detection(MachineDetection::Enable)
        .timeout(Duration::from_secs(u64::from(s.ring_seconds)))
        .time_limit(Duration::from_secs(u64::from(s.max_story_seconds) + 600))
        .send()
        .await;
    match result {
        Ok(call) => call.sid.ok_or_else(|| {
            tracing::warn!(recording = %id, "twilio accepted a call without naming it");
            (
                None,
                PlaceError::Unavailable(
                    "Our phone service did not confirm the call. Please try again in a minute.".into(),
                ),
            )
        }),
        Err(e) => {
            tracing::warn!(recording = %id, code = ?e.code(), status = ?e.status(), "twilio refused to place a call: {e}");
            Err((e.code(), refusal_words(&e)))
        }
    }
}

impl PlaceError {
    /// The words for the storyteller (for `Internal`, what failed, for the log).
    fn message(&self) -> &str {
        match self {
            PlaceError::Refused(w) | PlaceError::Unavailable(w) | PlaceError::Limited(w) | PlaceError::Internal(w) => w,
        }
    }
}

/// The number as the person typed it, if it is a tidy national spelling; otherwise the national format.
fn display_number(number: &PhoneNumber, typed: &str) -> String {
    let tidy = typed.chars().all(|c| c.is_ascii_digit() || " -().+".contains(c));
    if tidy && typed.chars().filter(char::is_ascii_digit).count() >= 7 {
        typed.to_owned()
    } else {
        number.national()
    }
}

fn refusal_words(e: &storyline_core::client::Error) -> PlaceError {
    match e.code() {
        Some(21211 | 21217 | 21214 | 21401 | 21201) => PlaceError::Refused(
            "Our phone service says this number can't be called. Please check it and try again.".into(),
        ),
        Some(21215 | 21216 | 21408 | 13227) => {
            PlaceError::Refused("We can't call numbers in that country yet. Please use a US or Canadian number.".into())
        }
        Some(21219) => PlaceError::Refused(
            "This number hasn't been verified with our phone service yet, so we can't call it.".into(),
        ),
        Some(21610) => PlaceError::Refused("This number has asked not to receive our calls.".into()),
        Some(20429) => {
            PlaceError::Unavailable("We're placing a lot of calls right now. Please try again in a minute.".into())
        }
        _ if e.status() == Some(429) => {
            PlaceError::Unavailable("We're placing a lot of calls right now. Please try again in a minute.".into())
        }
        _ => PlaceError::Unavailable(
            "We couldn't reach our phone service just now. Nothing was charged; please try again in a minute.".into(),
        ),
    }
}

/// Parses a webhook's form into the event it carries.
fn event_for(hook: Hook, pairs: &[(String, String)]) -> Result<Event, String> {
    let form = serde_urlencoded::to_string(pairs).map_err(|e| e.to_string())?;
    let event = match hook {
        Hook::CallStarted => Event::from(serde_urlencoded::from_str::<CallAnswered>(&form).map_err(|e| e.to_string())?),
        Hook::Recorded => Event::from(serde_urlencoded::from_str::<RecordAction>(&form).map_err(|e| e.to_string())?),
        Hook::CallStatus => {
            Event::from(serde_urlencoded::from_str::<CallStatusCallback>(&form).map_err(|e| e.to_string())?)
        }
        Hook::RecordingStatus => {
            Event::from(serde_urlencoded::from_str::<RecordingStatusCallback>(&form).map_err(|e| e.to_string())?)
        }
    };
    Ok(event)
}

/// Handles a signed webhook: applies its event durably, then answers with the TwiML Twilio needs (an empty
/// `<Response/>` for callbacks).
pub async fn webhook(app: &App, id: &RecordingId, hook: Hook, pairs: &[(String, String)]) -> Result<Response, Http> {
    let event = event_for(hook, pairs).map_err(|e| {
        tracing::warn!(recording = %id, ?hook, "webhook without the fields it needs: {e}");
        Http::BadRequest
    })?;
    let recording = apply(app, id, event).await?;
    Ok(match hook {
        Hook::CallStarted if recording.status() == Status::InProgress || recording.status() == Status::Recording => {
            greeting(app, id)
        }
        Hook::CallStarted => Response::new().hangup(),
        Hook::Recorded => Response::new()
            .say(
                Say::new("Thank you. Your story is saved. You can listen to it on the page you used to call. Goodbye.")
                    .voice(app.settings.voice.as_str()),
            )
            .hangup(),
        Hook::CallStatus | Hook::RecordingStatus => Response::new(),
    })
}

/// The greeting and the `<Record>` that follows it.
fn greeting(app: &App, id: &RecordingId) -> Response {
    let s = &app.settings;
    let mut doc = Response::new();
    doc = match &s.greeting_audio_url {
        Some(url) => doc.play(Play::new(url.as_str())),
        None => doc.say(Say::new(s.greeting.as_str()).voice(s.voice.as_str())),
    };
    doc.record(
        Record::new()
            .action(app.webhook_url(id.as_str(), "recorded"))
            .method(Method::Post)
            .recording_status_callback(app.webhook_url(id.as_str(), "recording_status_updated"))
            .recording_status_callback_method(Method::Post)
            .recording_status_callback_event([RecordingEvent::InProgress, RecordingEvent::Completed, RecordingEvent::Absent])
            .max_length(s.max_story_seconds)
            .finish_on_key(s.finish_key.to_string())
            // Storytellers pause to remember; only a long silence ends the story.
            .timeout(15)
            .play_beep(true)
            .trim(Trim::TrimSilence),
    )
    // Reached only when nothing was recorded (Twilio skips `action` for an empty recording).
    .say(
        Say::new("We didn't hear anything, so nothing was recorded. Please try again from the page whenever you are ready. Goodbye.")
            .voice(s.voice.as_str()),
    )
    .hangup()
}

/// Applies an event to a recording and commits the new state with the work it starts, before anyone is answered.
/// An event that contradicts what is known changes nothing (it is logged, and Twilio gets a normal answer so it does
/// not retry).
pub async fn apply(app: &App, id: &RecordingId, event: Event) -> Result<Recording, Http> {
    let _guard = app.write_lock.lock().await;
    let row = db::get(&app.pool, id.as_str())
        .await
        .map_err(internal)?
        .ok_or(Http::NotFound)?;
    let recording: Recording = serde_json::from_str(&row.state).map_err(internal)?;
    let transition = match recording.apply(&event) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(recording = %id, "ignored an event that contradicts what is known: {e}");
            return Ok(recording);
        }
    };
    if transition.recording == recording && transition.effects.is_empty() {
        return Ok(recording);
    }
    let next = transition.recording;
    let mut jobs = Vec::new();
    let mut notify = None;
    for effect in transition.effects {
        match effect {
            Effect::Notify { status } => notify = Some(status),
            Effect::CopyMedia {
                recording_sid,
                media_url,
                attempt,
            } => {
                jobs.push(copy_job(&recording_sid, media_url, attempt, Duration::ZERO));
            }
            Effect::ScheduleStorageRetry {
                recording_sid,
                media_url,
                attempt,
                after_secs,
            } => {
                jobs.push(copy_job(&recording_sid, media_url, attempt, app.delay(after_secs)));
            }
            Effect::StorageStuck { recording_sid, reason } => {
                tracing::error!(recording = %id, %recording_sid, "OPERATOR: a story could not be stored and will not be retried \
                    automatically; Twilio's copy is kept: {reason}");
            }
            Effect::DeleteTwilioRecording { recording_sid } => {
                if !app.settings.keep_twilio_copy {
                    jobs.push(NewJob {
                        kind: "delete_recording",
                        payload: recording_sid.to_string(),
                        run_at: db::now_ms(),
                    });
                }
            }
            Effect::ScheduleReconcile {
                call_sid,
                attempt,
                after_secs,
            } => {
                jobs.push(reconcile_job(&call_sid, attempt, app.delay(after_secs)));
            }
        }
    }
    let state = serde_json::to_string(&next).map_err(internal)?;
    db::save_state(
        &app.pool,
        id.as_str(),
        next.status().as_str(),
        &state,
        next.call_sid().map(CallSid::as_str),
        &jobs,
    )
    .await
    .map_err(internal)?;
    if let Some(status) = notify {
        let _ = app.changes.send(StatusChange {
            id: id.to_string(),
            status: status.as_str().to_owned(),
        });
    }
    Ok(next)
}

fn internal<E: std::fmt::Display>(e: E) -> Http {
    tracing::error!("storage error: {e}");
    Http::InternalServerError
}

#[derive(Serialize, Deserialize)]
struct CopyPayload {
    recording_sid: RecordingSid,
    media_url: Option<String>,
    attempt: u32,
}

#[derive(Serialize, Deserialize)]
struct ReconcilePayload {
    call_sid: CallSid,
    attempt: u32,
}

fn copy_job(sid: &RecordingSid, media_url: Option<String>, attempt: u32, after: Duration) -> NewJob {
    let payload = CopyPayload {
        recording_sid: sid.clone(),
        media_url,
        attempt,
    };
    NewJob {
        kind: "copy_media",
        payload: serde_json::to_string(&payload).unwrap_or_default(),
        run_at: db::now_ms() + millis(after),
    }
}

fn reconcile_job(call_sid: &CallSid, attempt: u32, after: Duration) -> NewJob {
    let payload = ReconcilePayload {
        call_sid: call_sid.clone(),
        attempt,
    };
    NewJob {
        kind: "reconcile",
        payload: serde_json::to_string(&payload).unwrap_or_default(),
        run_at: db::now_ms() + millis(after),
    }
}

/// Carries out one due job. Failures are recorded, never lost: the job (or the state machine) schedules the next try.
pub async fn run_job(app: &App, job: db::Job) {
    let Ok(id) = job.recording_id.parse::<RecordingId>() else {
        let _ = db::finish_job(&app.pool, job.id).await;
        return;
    };
    let result = match job.kind.as_str() {
        "copy_media" => match serde_json::from_str::<CopyPayload>(&job.payload) {
            Ok(p) => copy_media(app, &id, p).await,
            Err(e) => Err(format!("bad payload: {e}")),
        },
        "delete_recording" => match job.payload.parse::<RecordingSid>() {
            Ok(sid) => match app.twilio.delete_recording(&sid).send().await {
                Ok(()) => Ok(()),
                // Already gone is what we wanted.
                Err(e) if e.status() == Some(404) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(format!("bad payload: {e}")),
        },
        "reconcile" => match serde_json::from_str::<ReconcilePayload>(&job.payload) {
            Ok(p) => reconcile(app, &id, &p.call_sid, p.attempt).await,
            Err(e) => Err(format!("bad payload: {e}")),
        },
        other => Err(format!("unknown job kind {other}")),
    };
    match result {
        Ok(()) => {
            let _ = db::finish_job(&app.pool, job.id).await;
        }
        Err(e) => {
            let attempt = u32::try_from(job.attempts + 1).unwrap_or(u32::MAX);
            let wait = app.delay(storyline_core::recording::storage_retry_delay_secs(attempt + 1));
            tracing::warn!(recording = %id, kind = %job.kind, attempt, "background job failed, will retry: {e}");
            let _ = db::retry_job(&app.pool, job.id, db::now_ms() + millis(wait), &e).await;
        }
    }
}

/// Copies a recording from Twilio into the data directory, checks it, and reports the outcome to the state machine.
/// The job itself always succeeds once the outcome is recorded: retries are the state machine's to schedule.
async fn copy_media(app: &App, id: &RecordingId, p: CopyPayload) -> Result<(), String> {
    let event = match download(app, id, &p).await {
        Ok(media) => Event::MediaStored {
            recording_sid: p.recording_sid.clone(),
            media,
        },
        Err((retryable, reason)) => {
            tracing::warn!(recording = %id, attempt = p.attempt, "storing the recording failed: {reason}");
            Event::StorageFailed {
                recording_sid: p.recording_sid.clone(),
                attempt: p.attempt,
                retryable,
                reason,
            }
        }
    };
    apply(app, id, event)
        .await
        .map(|_| ())
        .map_err(|s| format!("saving the outcome failed: {s}"))
}

async fn download(app: &App, id: &RecordingId, p: &CopyPayload) -> Result<StoredMedia, (bool, String)> {
    let request = match &p.media_url {
        Some(url) => app.twilio.download_media(url, MediaFormat::Wav),
        None => app.twilio.download_recording(&p.recording_sid, MediaFormat::Wav),
    };
    // A 404 right after the callback is ordinary (the file is still being processed): retryable, like any failure of
    // Twilio or the network. Only a file that is not audio is not.
    let mut stream = request.send().await.map_err(|e| (true, e.to_string()))?;
    let dir = app.settings.data_dir.join("audio");
    let file_name = format!("{id}.wav");
    let part = dir.join(format!("{id}.wav.part"));
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| (true, e.to_string()))?;
    let mut size = 0u64;
    use tokio::io::AsyncWriteExt;
    while let Some(chunk) = stream.next_chunk().await.map_err(|e| (true, e.to_string()))? {
        size += chunk.len() as u64;
        if size > MAX_MEDIA_BYTES {
            return Err((false, format!("the recording is larger than {MAX_MEDIA_BYTES} bytes")));
        }
        file.write_all(&chunk).await.map_err(|e| (true, e.to_string()))?;
    }
    file.sync_all().await.map_err(|e| (true, e.to_string()))?;
    drop(file);
    let checked = check_wav(&part).map_err(|e| (false, e))?;
    tokio::fs::rename(&part, dir.join(&file_name))
        .await
        .map_err(|e| (true, e.to_string()))?;
    Ok(StoredMedia {
        path: file_name,
        size_bytes: size,
        duration_secs: Some(u32::try_from(checked.as_secs()).unwrap_or(u32::MAX)),
    })
}

/// Four hours of 16-bit 8 kHz mono (Twilio's longest `<Record>`), with room to spare.
const MAX_MEDIA_BYTES: u64 = 512 * 1024 * 1024;

/// Checks that a file is a WAV recording with sound in it, and returns its length.
fn check_wav(path: &std::path::Path) -> Result<Duration, String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("not a WAV file: {e}"))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.channels > 2 || spec.sample_rate < 4000 {
        return Err(format!("unexpected audio format: {spec:?}"));
    }
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err("the recording holds no audio".into());
    }
    Ok(Duration::from_millis(frames * 1000 / u64::from(spec.sample_rate)))
}

/// The exact length of a stored recording.
pub fn stored_duration(app: &App, media: &StoredMedia) -> Option<Duration> {
    check_wav(&app.settings.data_dir.join("audio").join(&media.path)).ok()
}

/// Asks Twilio's REST API what became of a call and its recordings.
async fn reconcile(app: &App, id: &RecordingId, call_sid: &CallSid, attempt: u32) -> Result<(), String> {
    // The callbacks may have arrived since this was scheduled: then there is nothing to ask.
    if let Ok(Some(row)) = db::get(&app.pool, id.as_str()).await
        && let Ok(recording) = serde_json::from_str::<Recording>(&row.state)
        && (recording.status() == Status::Complete
            || recording.reconciliations() >= attempt
            || recording
                .pending_effects()
                .iter()
                .any(|e| matches!(e, Effect::CopyMedia { .. }))
            || (recording.is_final() && recording.status() != Status::HungUp))
    {
        return Ok(());
    }
    let call = app
        .twilio
        .fetch_call(call_sid)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let Some(call_status) = call.status.clone() else {
        return Err("twilio did not say the call's status".into());
    };
    let page = app
        .twilio
        .list_recordings(call_sid)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let recordings = page
        .recordings
        .iter()
        .filter_map(|r| {
            Some(RecordingReport {
                recording_sid: r.sid.clone()?,
                status: r.status.clone()?,
                duration_secs: r.duration_secs().and_then(|d| u32::try_from(d).ok()),
                media_url: r
                    .media_url
                    .clone()
                    .or_else(|| r.uri.as_ref().map(|u| u.trim_end_matches(".json").to_owned())),
                error_code: r.error_code,
            })
        })
        .collect();
    let event = Event::Reconciled(Reconciliation {
        attempt,
        call_sid: call_sid.clone(),
        call_status,
        call_duration: call.duration_secs().and_then(|d| u32::try_from(d).ok()),
        recordings,
    });
    apply(app, id, event)
        .await
        .map(|_| ())
        .map_err(|s| format!("saving the reconciliation failed: {s}"))
}

/// How often recordings that stopped hearing from Twilio are looked at.
pub fn reconcile_every(app: &App) -> Duration {
    app.delay(60)
}

/// Looks after unfinished recordings: at start-up, re-issues the work their state still owes (a restart loses timers,
/// not state); afterwards, asks Twilio about calls that have been quiet for too long (lost callbacks).
pub async fn reconcile_stale(app: &App, at_startup: bool) {
    let quiet_for = if at_startup { Duration::ZERO } else { app.delay(120) };
    let before = db::now_ms() - millis(quiet_for);
    let statuses = ["calling", "ringing", "in_progress", "recording", "processing"];
    let rows = match db::stale(&app.pool, &statuses, before).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!("looking for unfinished recordings failed: {e}");
            return;
        }
    };
    for row in rows {
        let (Ok(id), Ok(recording)) = (
            row.id.parse::<RecordingId>(),
            serde_json::from_str::<Recording>(&row.state),
        ) else {
            continue;
        };
        let mut jobs = Vec::new();
        for effect in recording.pending_effects() {
            match effect {
                Effect::CopyMedia {
                    recording_sid,
                    media_url,
                    attempt,
                } => {
                    jobs.push(copy_job(&recording_sid, media_url, attempt, Duration::ZERO));
                }
                Effect::ScheduleReconcile { call_sid, attempt, .. } => {
                    jobs.push(reconcile_job(&call_sid, attempt, Duration::ZERO));
                }
                _ => {}
            }
        }
        // A recording whose call was never placed (the server stopped between saving it and Twilio's answer, and no
        // callback has named a call since): end it honestly. Any call Twilio did place has long since called back.
        if recording.call_sid().is_none()
            && recording.status() == Status::Calling
            && row.updated_at
                < db::now_ms() - millis(app.delay(600).max(guard::QUEUE_AT_MOST + Duration::from_secs(30)))
        {
            let event = Event::CallRejected {
                code: None,
                message: "the call was not placed: the server stopped while placing it".into(),
            };
            let _ = apply(app, &id, event).await;
            continue;
        }
        // A call still "on the way", or a story waiting for its recording callback, that has been quiet: callbacks may
        // be lost. Twilio's REST API knows. (A story whose copy is pending has a copy job above instead.)
        if jobs.is_empty()
            && let Some(call_sid) = recording.call_sid()
        {
            jobs.push(reconcile_job(call_sid, recording.reconciliations() + 1, Duration::ZERO));
        }
        // Only the jobs: writing back the state read above could undo a webhook that came in meanwhile.
        if !jobs.is_empty()
            && let Err(e) = db::enqueue(&app.pool, id.as_str(), &jobs).await
        {
            tracing::error!(recording = %id, "enqueueing unfinished work failed: {e}");
        }
    }
}

/// A recording as the pages and the status route see it.
pub struct View {
    pub id: RecordingId,
    pub status: String,
    pub phone: String,
    pub phone_display: String,
    pub stored: Option<StoredView>,
}

/// The stored audio of a finished story.
pub struct StoredView {
    pub file: String,
    pub duration: Duration,
    pub recorded_at: String,
    pub recorded_on: String,
}

/// Loads what the pages show about a recording.
pub async fn view(app: &App, id: &RecordingId) -> Result<Option<View>, Http> {
    let Some(row) = db::get(&app.pool, id.as_str()).await.map_err(internal)? else {
        return Ok(None);
    };
    let recording: Recording = serde_json::from_str(&row.state).map_err(internal)?;
    let stored = recording.stored_media().map(|m| {
        let at = time::OffsetDateTime::from_unix_timestamp(row.created_at / 1000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        StoredView {
            file: m.path.clone(),
            duration: stored_duration(app, m).unwrap_or(Duration::from_secs(u64::from(m.duration_secs.unwrap_or(0)))),
            recorded_at: at
                .format(time::macros::format_description!(
                    "[month repr:long] [day padding:none], [year] at [hour]:[minute] UTC"
                ))
                .unwrap_or_default(),
            recorded_on: at
                .format(time::macros::format_description!("[year]-[month]-[day]"))
                .unwrap_or_default(),
        }
    });
    Ok(Some(View {
        id: id.clone(),
        status: recording.status().as_str().to_owned(),
        phone: row.phone,
        phone_display: row.phone_display,
        stored,
    }))
}

impl View {
    /// The status JSON: the contract of `GET /recording/:id/status`.
    pub fn to_json(&self) -> Value {
        let words = crate::pages::words(&self.status, &self.phone_display);
        let mut v = json!({
            "status": self.status,
            "heading": words.heading,
            "detail": words.detail,
            "final": crate::pages::is_final(&self.status),
        });
        if let (Some(s), "complete") = (&self.stored, self.status.as_str()) {
            v["audio_url"] = json!(format!("/recording/{}/audio", self.id));
            v["duration_secs"] = json!(s.duration.as_secs_f64());
            v["recorded_at"] = json!(s.recorded_at);
        }
        v
    }

    /// What the recording page renders.
    pub fn as_page(&self) -> RecordingView<'_> {
        RecordingView {
            id: self.id.as_str(),
            status: &self.status,
            number: &self.phone_display,
            audio: self.stored.as_ref().map(|s| AudioView {
                duration_secs: s.duration.as_secs_f64().round() as u64,
                recorded_at: s.recorded_at.clone(),
            }),
        }
    }
}
