//! Events for the host service: raised when a story reaches its ending, stored with the state change, delivered by
//! a job (`jobs::deliver`).

use std::time::Duration;

use storyline_core::RecordingId;
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

/// The event a recording reaching `next` raises; `None` when no events URL is set.
pub(super) fn raise(app: &App, stored: &StoredRecording, next: &Recording) -> Option<NewEvent> {
    app.events.as_ref()?;
    let (kind, wait) = if next.status() == Status::Complete {
        (COMPLETED, Duration::ZERO)
    } else {
        (ENDED, app.delay(ENDED_SETTLES_SECS))
    };
    let created = now_ms() / 1000;
    let id = event_id(&stored.id, kind);
    let mut finished = stored.clone();
    finished.recording = next.clone();
    finished.finished_at.get_or_insert(now_ms());
    let body = serde_json::json!({
        "id": id,
        "type": kind,
        "created": created,
        "data": story_json(app, &finished),
    });
    Some(NewEvent {
        id,
        kind,
        created,
        body: body.to_string(),
        deliver_at: now_ms() + wait.as_millis() as i64,
    })
}

/// `evt_` and 128 bits in hex: the same for a story's event of a type (each story has at most one of each), and not
/// revealing the story's id.
pub(super) fn event_id(story: &RecordingId, kind: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new()
        .chain_update(b"storyline event\0")
        .chain_update(story.as_str())
        .chain_update(b"\0")
        .chain_update(kind)
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("evt_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_id_is_the_same_for_a_story_and_type_and_tells_nothing_of_the_story() {
        let story = RecordingId::from_bytes([9; 16]);
        let completed = event_id(&story, COMPLETED);
        assert_eq!(completed, event_id(&story, COMPLETED));
        assert_ne!(completed, event_id(&story, ENDED));
        assert_ne!(completed, event_id(&RecordingId::from_bytes([8; 16]), COMPLETED));
        assert_eq!(completed.len(), 4 + 32);
        assert!(!completed.contains(story.as_str()));
    }
}
