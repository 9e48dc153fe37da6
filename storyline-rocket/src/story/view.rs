//! What the pages, the status JSON, the API and host services are shown of a recording.

use std::time::Duration;

use serde_json::{Value, json};
use storyline_core::RecordingId;
use storyline_core::recording::{Status, StoredMedia};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::StoryError;
use crate::app::App;
use crate::store::StoredRecording;

/// A recording as the pages and the status route see it.
pub(crate) struct View {
    pub id: RecordingId,
    pub status: Status,
    pub phone_display: String,
    pub stored: Option<StoredView>,
    /// The whole stored row, for the API.
    pub row: StoredRecording,
}

/// The stored audio of a finished story.
pub(crate) struct StoredView {
    pub file: String,
    pub size_bytes: u64,
    pub duration: Duration,
    pub recorded_at: String,
    pub recorded_on: String,
}

/// A stored recording's length, as exact as it was measured.
fn duration(media: &StoredMedia) -> Duration {
    media.duration_ms.map_or_else(
        || Duration::from_secs(u64::from(media.duration_secs.unwrap_or(0))),
        Duration::from_millis,
    )
}

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn rfc3339(ms: i64) -> String {
    at(ms).format(&Rfc3339).unwrap_or_default()
}

/// When a stored story was recorded, as the page and the API say it: when its call ended and it was stored (or, for
/// stories stored before that was kept, when the call was asked for).
fn recorded_at(row: &StoredRecording) -> i64 {
    row.finished_at.unwrap_or(row.created_at)
}

/// Loads what the pages show about a recording.
pub(crate) async fn view(app: &App, id: &RecordingId) -> Result<Option<View>, StoryError> {
    let Some(row) = app.store.get(id).await? else {
        return Ok(None);
    };
    Ok(Some(view_of(row)))
}

fn view_of(row: StoredRecording) -> View {
    let stored = row.recording.stored_media().map(|m| {
        let at = at(recorded_at(&row));
        StoredView {
            file: m.path.clone(),
            size_bytes: m.size_bytes,
            duration: duration(m),
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
    View {
        id: row.id.clone(),
        status: row.recording.status(),
        phone_display: row.phone_display.clone(),
        stored,
        row,
    }
}

/// A story as the API answers it and as events carry it: every field is there, `null` until it applies.
pub(crate) fn story_json(app: &App, row: &StoredRecording) -> Value {
    let page = app.url(&app.links.recording(row.id.as_str()));
    let status = row.recording.status();
    let media = row.recording.stored_media().filter(|_| status == Status::Complete);
    let duration = media.map(|m| duration(m).as_secs_f64());
    json!({
        "id": row.id,
        "status": status.as_str(),
        "reference": row.reference,
        "prompt": row.prompt,
        "page_url": page,
        "audio_url": media.map(|_| app.url(&app.links.audio(row.id.as_str()))),
        "duration_secs": duration,
        "recorded_at": media.map(|_| rfc3339(recorded_at(row))),
        "created_at": rfc3339(row.created_at),
    })
}

/// How long after a call ended without a story the storyteller may ask for it again from its page. Later, the page
/// sends them to the form instead, where a new story starts: an old link must not keep a number ringing.
pub(crate) const CALL_AGAIN_WITHIN_MS: i64 = crate::store::DAY_MS;

impl View {
    /// Whether the page may offer "Call me again": the call ended without a story (not a stored story, not a call
    /// still going on) less than a day ago.
    pub(crate) fn can_call_again(&self, now_ms: i64) -> bool {
        self.status.is_final()
            && self.status != Status::Complete
            && self
                .row
                .finished_at
                .is_some_and(|at| now_ms - at < CALL_AGAIN_WITHIN_MS)
    }

    /// The story as the API answers it.
    pub(crate) fn to_story_json(&self, app: &App) -> Value {
        story_json(app, &self.row)
    }
}
