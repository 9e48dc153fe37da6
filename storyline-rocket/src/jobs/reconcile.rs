//! Lost callbacks: asking Twilio's REST API what became of a call, and looking after recordings that have gone quiet.

use std::time::Duration;

use storyline_core::recording::{Effect, Event, Reconciliation, RecordingReport, Status};
use storyline_core::{CallSid, RecordingId};

use super::Outcome;
use crate::abuse;
use crate::app::App;
use crate::store::{Job, StoredRecording, now_ms};
use crate::story::{self, scheduled};
use tracing::Instrument as _;

/// Asks Twilio's REST API what became of a call and its recordings.
pub(super) async fn call(app: &App, id: &RecordingId, call_sid: &CallSid, attempt: u32) -> Outcome {
    // The callbacks may have arrived since this was scheduled: then there is nothing to ask.
    if let Ok(Some(stored)) = app.store.get(id).await {
        let recording = &stored.recording;
        if recording.status() == Status::Complete
            || recording.reconciliations() >= attempt
            || recording
                .pending_effects()
                .iter()
                .any(|e| matches!(e, Effect::CopyMedia { .. }))
            || (recording.is_final() && recording.status() != Status::HungUp)
        {
            return Outcome::Done;
        }
    }
    let call = match app.twilio.fetch_call(call_sid).send().await {
        Ok(call) => call,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    let Some(call_status) = call.status.clone() else {
        return Outcome::Retry("twilio did not say the call's status".into());
    };
    let page = match app.twilio.list_recordings(call_sid).send().await {
        Ok(page) => page,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
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
    match story::apply(app, id, event).await {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Retry(format!("saving the reconciliation failed: {e}")),
    }
}

/// How often recordings that stopped hearing from Twilio are looked at.
pub(super) fn every(app: &App) -> Duration {
    app.delay(60)
}

/// The statuses of a call still on its way.
const ON_THE_WAY: [Status; 5] = [
    Status::Calling,
    Status::Ringing,
    Status::InProgress,
    Status::Recording,
    Status::Processing,
];

/// Looks after unfinished recordings: at start-up, re-issues the work their state still owes (a restart loses timers,
/// not state); afterwards, asks Twilio about calls that have been quiet for too long (lost callbacks).
pub(super) async fn stale(app: &App, at_startup: bool) {
    let quiet_for = if at_startup { Duration::ZERO } else { app.delay(120) };
    let before = now_ms() - quiet_for.as_millis() as i64;
    let rows = match app.store.stale(&ON_THE_WAY, before).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!("looking for unfinished recordings failed: {e}");
            return;
        }
    };
    for row in rows {
        let span = tracing::info_span!("look after", recording = %row.id.log_tag());
        look_after(app, row).instrument(span).await;
    }
}

/// Re-issues the work one unfinished recording's state still owes, or ends it if its call was never placed.
async fn look_after(app: &App, row: StoredRecording) {
    let (id, recording) = (&row.id, &row.recording);
    let mut jobs = Vec::new();
    for effect in recording.pending_effects() {
        match effect {
            Effect::CopyMedia {
                recording_sid,
                media_url,
                attempt,
            } => jobs.push(story::copy_media(recording_sid, media_url, attempt, Duration::ZERO)),
            Effect::ScheduleReconcile { call_sid, attempt, .. } => {
                jobs.push(scheduled(Job::Reconcile { call_sid, attempt }, Duration::ZERO));
            }
            _ => {}
        }
    }
    // A recording whose call was never placed (the server stopped between saving it and Twilio's answer, and no
    // callback has named a call since): end it honestly. Any call Twilio did place has long since called back.
    let never_placed_after = app.delay(600).max(abuse::QUEUE_AT_MOST + Duration::from_secs(30));
    if recording.call_sid().is_none()
        && recording.status() == Status::Calling
        && row.updated_at < now_ms() - never_placed_after.as_millis() as i64
    {
        let event = Event::CallRejected {
            code: None,
            message: "the call was not placed: the server stopped while placing it".into(),
        };
        let _ = story::apply(app, id, event).await;
        return;
    }
    // A call still "on the way", or a story waiting for its recording callback, that has been quiet: callbacks may
    // be lost. Twilio's REST API knows. (A story whose copy is pending has a copy job above instead.)
    if jobs.is_empty()
        && let Some(call_sid) = recording.call_sid()
    {
        jobs.push(scheduled(
            Job::Reconcile {
                call_sid: call_sid.clone(),
                attempt: recording.reconciliations() + 1,
            },
            Duration::ZERO,
        ));
    }
    // Only the jobs: writing back the state read above could undo a webhook that came in meanwhile. Work already
    // waiting (with its backoff) or running on another instance is left as it is.
    if !jobs.is_empty()
        && let Err(e) = app.store.enqueue_owed(id, &jobs).await
    {
        tracing::error!("enqueueing unfinished work failed: {e}");
    }
}
