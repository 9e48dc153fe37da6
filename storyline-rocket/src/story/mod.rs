//! The story flow, free of Rocket: placing calls ([`place`]), turning Twilio's webhooks into events and answering
//! them with TwiML ([`webhook`]), applying events to the recording state machine durably ([`apply`]), and what the
//! pages, the API and host services are shown ([`view`]).

mod events;
pub(crate) mod idempotency;
mod place;
mod view;
mod webhook;

use std::time::Duration;

use storyline_core::recording::{Effect, Event, Recording};
use storyline_core::{RecordingId, RecordingSid};

use crate::app::{App, StatusChange};
use crate::store::{Job, Scheduled, StoreError, now_ms};

pub(crate) use events::ENDED;
pub(crate) use place::{PlaceError, Refusal, StartError, StartRequest, Unavailable, start, start_again};
pub(crate) use view::{View, view};
pub(crate) use webhook::{Hook, webhook};

/// Why the story flow could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoryError {
    /// No recording has this id.
    #[error("no such recording")]
    NotFound,
    /// A webhook lacks the fields its event needs.
    #[error("the webhook lacks the fields it needs: {0}")]
    BadWebhook(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// A job due `after` from now.
pub(crate) fn scheduled(job: Job, after: Duration) -> Scheduled {
    Scheduled {
        job,
        run_at: now_ms() + millis(after),
    }
}

/// The job that copies a recording's media, due `after` from now.
pub(crate) fn copy_media(
    recording_sid: RecordingSid,
    media_url: Option<String>,
    attempt: u32,
    after: Duration,
) -> Scheduled {
    scheduled(
        Job::CopyMedia {
            recording_sid,
            media_url,
            attempt,
        },
        after,
    )
}

/// Applies an event to a recording and commits the new state with the work it starts and the event it raises for
/// the host service, before anyone is answered. An event that contradicts what is known changes nothing (it is
/// logged, and Twilio gets a normal answer so it does not retry).
pub(crate) async fn apply(app: &App, id: &RecordingId, event: Event) -> Result<Recording, StoryError> {
    let _guard = app.write_lock.lock().await;
    let stored = app.store.get(id).await?.ok_or(StoryError::NotFound)?;
    let recording = stored.recording.clone();
    let transition = match recording.apply(&event) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("ignored an event that contradicts what is known: {e}");
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
            } => jobs.push(copy_media(recording_sid, media_url, attempt, Duration::ZERO)),
            Effect::ScheduleStorageRetry {
                recording_sid,
                media_url,
                attempt,
                after_secs,
            } => jobs.push(copy_media(recording_sid, media_url, attempt, app.delay(after_secs))),
            Effect::StorageStuck { recording_sid, reason } => {
                tracing::error!(%recording_sid, "OPERATOR: a story could not be stored and will not be retried \
                    automatically; Twilio's copy is kept: {reason}");
            }
            Effect::DeleteTwilioRecording { recording_sid } => {
                if !app.settings.keep_twilio_copy {
                    jobs.push(scheduled(Job::DeleteTwilioRecording { recording_sid }, Duration::ZERO));
                }
            }
            Effect::ScheduleReconcile {
                call_sid,
                attempt,
                after_secs,
            } => jobs.push(scheduled(Job::Reconcile { call_sid, attempt }, app.delay(after_secs))),
        }
    }
    // Reaching an ending raises the host service's event, stored with the state that raised it.
    let event = (next.is_final() && next.status() != recording.status())
        .then(|| events::raise(app, &stored, &next))
        .flatten();
    app.store.save(id, &next, &jobs, event.as_ref()).await?;
    if notify.is_some() {
        let _ = app.changes.send(StatusChange { id: id.clone() });
    }
    Ok(next)
}
