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
    /// Saving the story has failed a few times and is being retried: the page says to come back later instead of
    /// following it live.
    pub delayed: bool,
    /// The whole stored row, for the API.
    pub row: StoredRecording,
}

/// After how many failed attempts to save a story its page stops following it live and says it is delayed.
pub(crate) const DELAYED_AFTER_FAILURES: u32 = 3;

/// The stored audio of a finished story.
pub(crate) struct StoredView {
    pub file: String,
    pub size_bytes: u64,
    pub duration: Duration,
    /// When it was recorded, as people write it, in the configured time zone.
    pub recorded_at: String,
    /// The same moment, RFC 3339 in UTC, for the page's script to write in the browser's own time.
    pub recorded_iso: String,
    /// The date in the configured time zone, for the download's file name.
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
    let Some(row) = app.store.get_recent(&app.recent, id).await? else {
        return Ok(None);
    };
    Ok(Some(view_of(StoredRecording::clone(&row), &app.time_zone)))
}

/// A moment as people write it ("Tuesday, December 1 at 3:18 PM EST"), in `zone`; the year only when it is not this
/// year's.
pub(crate) fn written(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    let Ok(at) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let at = at.to_zoned(zone.clone());
    let this_year = jiff::Timestamp::now().to_zoned(zone.clone()).year();
    let pattern = if at.year() == this_year {
        "%A, %B %-d at %-I:%M %p %Z"
    } else {
        "%A, %B %-d, %Y at %-I:%M %p %Z"
    };
    at.strftime(pattern).to_string()
}

fn view_of(row: StoredRecording, zone: &jiff::tz::TimeZone) -> View {
    let stored = row.recording.stored_media().map(|m| {
        let ms = recorded_at(&row);
        StoredView {
            file: m.path.clone(),
            size_bytes: m.size_bytes,
            duration: duration(m),
            recorded_at: written(ms, zone),
            recorded_iso: rfc3339(ms),
            recorded_on: jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.to_zoned(zone.clone()).strftime("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    });
    let status = row.recording.status();
    View {
        id: row.id.clone(),
        status,
        phone_display: row.phone_display.clone(),
        stored,
        delayed: status == Status::Processing && row.recording.storage_failures() >= DELAYED_AFTER_FAILURES,
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

    /// Whether the storyteller may delete it now: once its call has ended and its story (if any) is saved.
    pub(crate) fn can_be_deleted(&self) -> bool {
        self.status.is_final()
    }

    /// The story as the API answers it.
    pub(crate) fn to_story_json(&self, app: &App) -> Value {
        story_json(app, &self.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_people_write_them_in_the_configured_zone() {
        let zone = jiff::tz::TimeZone::get("America/New_York").expect("a zone");
        // 2025-12-02 20:18 UTC is 3:18 PM in New York (EST); a past year is named.
        assert_eq!(
            written(1_764_706_680_000, &zone),
            "Tuesday, December 2, 2025 at 3:18 PM EST"
        );
        // In summer, daylight time.
        assert_eq!(
            written(1_751_472_000_000, &zone),
            "Wednesday, July 2, 2025 at 12:00 PM EDT"
        );
        let la = jiff::tz::TimeZone::get("America/Los_Angeles").expect("a zone");
        assert_eq!(
            written(1_764_706_680_000, &la),
            "Tuesday, December 2, 2025 at 12:18 PM PST"
        );
    }
}
