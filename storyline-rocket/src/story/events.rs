//! Events for the host service: raised when a story reaches its ending, stored with the state change, delivered by
//! a job (`jobs::deliver`).

use std::time::Duration;

use storyline_core::recording::{Recording, Status};

use super::view::story_json;
use crate::app::App;
use crate::store::{NewEvent, StoredRecording, now_ms};

/// `story.completed`: the story is stored and playable.
pub(crate) const COMPLETED: &str = "story.completed";
/// `story.ended`: the call ended without a story (busy, no answer, hung up, …); `data.status` says how.
pub(crate) const ENDED: &str = "story.ended";

/// An ending other than `complete` can still give way to a story whose recording callback comes late (see
/// `Status::is_final`): its event waits this long (in call time) and is sent only if the ending still holds.
pub(crate) const ENDED_SETTLES_SECS: u64 = 60;

/// The event a recording reaching `next` raises, and how long its delivery waits; `None` when no events URL is set.
pub(super) fn raise(app: &App, stored: &StoredRecording, next: &Recording) -> Option<(NewEvent, Duration)> {
    app.events.as_ref()?;
    let (kind, wait) = if next.status() == Status::Complete {
        (COMPLETED, Duration::ZERO)
    } else {
        (ENDED, app.delay(ENDED_SETTLES_SECS))
    };
    let created = now_ms() / 1000;
    let id = event_id();
    let mut finished = stored.clone();
    finished.recording = next.clone();
    finished.finished_at.get_or_insert(now_ms());
    let body = serde_json::json!({
        "id": id,
        "type": kind,
        "created": created,
        "data": story_json(app, &finished),
    });
    Some((
        NewEvent {
            id,
            kind,
            created,
            body: body.to_string(),
        },
        wait,
    ))
}

/// `evt_` and 128 random bits in hex.
fn event_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("system random source");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("evt_{hex}")
}
