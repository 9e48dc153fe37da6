//! The recordings read in the last moment, kept in memory: the status a page polls and the webhook Twilio repeats are
//! answered from here instead of the database, many times a second. An entry is dropped when this instance changes
//! the recording, when another instance says it did (PostgreSQL), and in any case after [`FRESH_FOR`], which bounds
//! how old an answer can be even when a notice is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use storyline_core::RecordingId;

use super::StoredRecording;

/// The longest a recording is answered from memory.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(1);

/// The most recordings kept: beyond, the memory starts again empty.
const AT_MOST: usize = 10_000;

/// Recently read recordings.
#[derive(Debug, Default)]
pub(crate) struct Recent(Mutex<HashMap<RecordingId, (Instant, Arc<StoredRecording>)>>);

impl Recent {
    /// The recording, if it was read less than [`FRESH_FOR`] ago and has not changed since.
    pub(crate) fn get(&self, id: &RecordingId) -> Option<Arc<StoredRecording>> {
        let entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id)
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, row)| Arc::clone(row))
    }

    /// Keeps a recording just read from the database, or just saved, unless a later version of it is kept already
    /// (two changes of one recording finishing in the other order).
    pub(crate) fn keep(&self, row: StoredRecording) -> Arc<StoredRecording> {
        let row = Arc::new(row);
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= AT_MOST {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            if entries.len() >= AT_MOST {
                entries.clear();
            }
        }
        match entries.get(&row.id) {
            Some((at, kept)) if kept.version > row.version && at.elapsed() < FRESH_FOR => {}
            _ => {
                entries.insert(row.id.clone(), (Instant::now(), Arc::clone(&row)));
            }
        }
        row
    }

    /// Forgets a recording that changed.
    pub(crate) fn forget(&self, id: &RecordingId) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

impl super::Store {
    /// One recording, from [`Recent`] when it was read a moment ago, else from the database. For answers that may be
    /// a moment old (a page's status, a repeated webhook); changes read the database itself ([`super::Store::get`]).
    pub(crate) async fn get_recent(
        &self,
        recent: &Recent,
        id: &RecordingId,
    ) -> Result<Option<Arc<StoredRecording>>, super::StoreError> {
        if let Some(row) = recent.get(id) {
            return Ok(Some(row));
        }
        Ok(self.get(id).await?.map(|row| recent.keep(row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CallLimits;
    use crate::store::NewRecording;

    #[tokio::test]
    async fn a_recording_is_answered_from_memory_until_it_changes_or_a_moment_passes() {
        let dir = tempfile::tempdir().expect("a data directory");
        let store = super::super::Store::open(dir.path()).await.expect("SQLite opens");
        let new = NewRecording {
            id: RecordingId::from_bytes([9; 16]),
            phone: "+12015550100".parse().expect("a number"),
            phone_display: "201-555-0100".into(),
            reference: None,
            prompt: None,
            owner: None,
        };
        store
            .insert_within_limits(&new, None, &CallLimits::default())
            .await
            .expect("inserted");
        let recent = Recent::default();
        let first = store.get_recent(&recent, &new.id).await.expect("read").expect("there");
        let again = store.get_recent(&recent, &new.id).await.expect("read").expect("there");
        assert!(Arc::ptr_eq(&first, &again), "the second read is the first one's");
        recent.forget(&new.id);
        let after = store.get_recent(&recent, &new.id).await.expect("read").expect("there");
        assert!(!Arc::ptr_eq(&first, &after), "a change is read anew");
        tokio::time::sleep(FRESH_FOR + Duration::from_millis(50)).await;
        let later = store.get_recent(&recent, &new.id).await.expect("read").expect("there");
        assert!(!Arc::ptr_eq(&after, &later), "a moment later, read anew");
    }
}
