//! Deleting a story: asked for by the storyteller on its page, by a host service through the API, or by the
//! retention setting. Its audio leaves our storage and Twilio's copy is deleted (durable jobs, retried until done),
//! its number, address and question are erased, and the host service is told (`story.deleted`). Its page then says
//! it was deleted.

use std::time::Duration;

use storyline_core::RecordingId;

use super::{CONFLICTS_AT_MOST, StoryError, scheduled};
use crate::app::{App, StatusChange};
use crate::store::{Job, NewEvent, Saved, StoredRecording, now_ms};

/// `story.deleted`: the story and its audio are gone.
pub(crate) const DELETED: &str = "story.deleted";

/// What became of a request to delete a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    /// It is deleted now.
    Now,
    /// It was deleted before.
    Already,
    /// Its call is still going on, or its story is being saved: it can be deleted once that is done.
    CallGoingOn,
    /// No story has this id.
    NotFound,
}

/// Deletes a story whose call has ended and whose story, if any, is saved (a copy still under way could otherwise
/// store audio after the story's audio was removed; one that does anyway removes it, see `jobs::media`).
pub(crate) async fn delete(app: &App, id: &RecordingId, why: &'static str) -> Result<Deleted, StoryError> {
    // Read, decide and delete against the version read: a webhook or a reconciliation that changes the story in
    // between (a recording found after all) makes the decision again.
    for _ in 0..CONFLICTS_AT_MOST {
        let Some(stored) = app.store.get(id).await? else {
            return Ok(if app.store.is_deleted(id).await? {
                Deleted::Already
            } else {
                Deleted::NotFound
            });
        };
        if !stored.recording.is_final() {
            return Ok(Deleted::CallGoingOn);
        }
        let mut jobs = Vec::new();
        if let Some(media) = stored.recording.stored_media() {
            jobs.push(scheduled(
                Job::RemoveAudio {
                    file: media.path.clone(),
                },
                Duration::ZERO,
            ));
        }
        // Twilio's copies go too, whatever STORYLINE_KEEP_TWILIO_COPY says: the storyteller asked. Every recording
        // Twilio holds for the call, including one whose callback was lost.
        if let Some(call_sid) = stored.recording.call_sid() {
            jobs.push(scheduled(
                Job::PurgeTwilioRecordings {
                    call_sid: call_sid.clone(),
                },
                Duration::ZERO,
            ));
        }
        let event = raise(app, &stored);
        if app.store.delete_story(&stored, &jobs, event.as_ref()).await? == Saved::Saved {
            app.recent.forget(id);
            tracing::info!(recording = %id.log_tag(), why, "deleted a story");
            let _ = app.changes.send(StatusChange { id: id.clone() });
            return Ok(Deleted::Now);
        }
    }
    Err(StoryError::Busy)
}

/// The host service's `story.deleted`, when an events URL is set.
fn raise(app: &App, stored: &StoredRecording) -> Option<NewEvent> {
    app.events.as_ref()?;
    let created = now_ms() / 1000;
    let id = super::events::event_id(&stored.id, DELETED);
    let body = serde_json::json!({
        "id": id,
        "type": DELETED,
        "created": created,
        "data": {"id": stored.id, "status": "deleted", "reference": stored.reference},
    });
    Some(NewEvent {
        id,
        kind: DELETED,
        created,
        body: body.to_string(),
        deliver_at: now_ms(),
    })
}

/// Deletes the stories that ended longer ago than the retention setting says (`STORYLINE_KEEP_STORIES_DAYS`), a
/// batch at a time; returns how many it deleted.
pub(crate) async fn expire(app: &App) -> Result<usize, StoryError> {
    let Some(days) = app.settings.keep_stories_days.filter(|d| *d > 0) else {
        return Ok(0);
    };
    let before = now_ms() - i64::from(days) * crate::store::DAY_MS;
    let mut deleted = 0;
    for stored in app.store.expired(before, 100).await? {
        if delete(app, &stored.id, "kept for as long as STORYLINE_KEEP_STORIES_DAYS says").await? == Deleted::Now {
            deleted += 1;
        }
    }
    Ok(deleted)
}
