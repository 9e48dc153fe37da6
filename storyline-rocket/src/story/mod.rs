//! The story flow, free of Rocket: placing calls ([`place`]), turning Twilio's webhooks into events and answering
//! them with TwiML ([`webhook`]), applying events to the recording state machine durably ([`apply`]), and what the
//! pages, the API and host services are shown ([`view`]).

mod delete;
mod events;
pub(crate) mod idempotency;
mod place;
mod view;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use storyline_core::recording::{Effect, Event, Recording};
use storyline_core::{RecordingId, RecordingSid};

use crate::app::{App, StatusChange};
use crate::store::{Job, NewEvent, Scheduled, StoreError, StoredRecording, now_ms};

pub(crate) use delete::{Deleted, delete, expire};
pub(crate) use events::ENDED;
pub(crate) use place::{PlaceError, Refusal, StartError, StartRequest, Unavailable, place_queued, start, start_again};
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
    /// The recording kept changing under the change (see [`apply`]); try again.
    #[error("the recording kept changing; try again")]
    Busy,
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

/// How often a change is made anew when the recording keeps changing under it (webhooks for one call on several
/// instances at once): far more than a call's callbacks can collide.
pub(super) const CONFLICTS_AT_MOST: u32 = 32;

/// Applies an event to a recording and commits the new state with the work it starts and the event it raises for
/// the host service, before anyone is answered. An event that contradicts what is known, or that changes nothing (a
/// duplicate), writes nothing (the first is logged; Twilio gets a normal answer either way, so it does not retry).
///
/// No lock is held in the process: the change is saved only if the recording is still at the version it was read at,
/// and otherwise read and made again, so changes to one recording from any number of instances apply one after the
/// other, each to the state the one before left.
pub(crate) async fn apply(app: &App, id: &RecordingId, event: Event) -> Result<Recording, StoryError> {
    Ok(applied(app, id, event).await?.recording.clone())
}

/// [`apply`], answering with the recording as it now is in the database, which is also kept in [`App::recent`].
async fn applied(app: &App, id: &RecordingId, event: Event) -> Result<Arc<StoredRecording>, StoryError> {
    // The recording as read a moment ago is where the change starts from, when there is one: a version behind, it
    // is refused at the commit, and the change is made again from the database.
    // A change it makes none of is decided again on the database's copy, so the caller gets the recording as it is.
    let mut read = app.recent.get(id);
    for _ in 0..CONFLICTS_AT_MOST {
        let (stored, from_memory) = match read.take() {
            Some(recent) => (Arc::unwrap_or_clone(recent), true),
            None => (app.store.get(id).await?.ok_or(StoryError::NotFound)?, false),
        };
        let Some(change) = change(app, &stored, &event) else {
            if from_memory {
                continue;
            }
            return Ok(app.recent.keep(stored));
        };
        let saved = app
            .store
            .save_after(&stored, change.next, &change.jobs, change.event.as_ref(), change.notify)
            .await?;
        if let Some(now) = saved {
            let now = app.recent.keep(now);
            if change.notify {
                let _ = app.changes.send(StatusChange { id: id.clone() });
            }
            return Ok(now);
        }
    }
    Err(StoryError::Busy)
}

/// What an event makes of a recording: its next state, the work it starts, and the event it raises.
struct Change {
    next: Recording,
    jobs: Vec<Scheduled>,
    event: Option<NewEvent>,
    /// Whether the pages following it are told.
    notify: bool,
}

/// What a webhook's event makes of a recording: when the recording as read a moment ago already holds it (Twilio
/// repeats itself), that recording, with nothing written; otherwise the event applied durably ([`apply`]). Facts
/// only accumulate, so an event a recording already holds is held by every later state of it too.
pub(crate) async fn apply_unless_known(
    app: &App,
    id: &RecordingId,
    event: Event,
) -> Result<Arc<StoredRecording>, StoryError> {
    if let Some(recent) = app.recent.get(id)
        && change(app, &recent, &event).is_none()
    {
        return Ok(recent);
    }
    applied(app, id, event).await
}

/// The change `event` makes to the stored recording, or `None` when it makes none.
fn change(app: &App, stored: &StoredRecording, event: &Event) -> Option<Change> {
    let recording = &stored.recording;
    let transition = match recording.apply(event) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("ignored an event that contradicts what is known: {e}");
            return None;
        }
    };
    if transition.recording == *recording && transition.effects.is_empty() {
        return None;
    }
    let next = transition.recording;
    let mut jobs = Vec::new();
    let mut notify = false;
    for effect in transition.effects {
        match effect {
            Effect::Notify { .. } => notify = true,
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
        .then(|| events::raise(app, stored, &next))
        .flatten();
    Some(Change {
        next,
        jobs,
        event,
        notify,
    })
}
