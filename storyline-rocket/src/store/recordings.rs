//! The recordings: created within the hourly limits, changed against the version they were read at.

use storyline_core::recording::{Recording, Status};
use storyline_core::{CallSid, PhoneNumber, RecordingId};

use super::work::{Scheduled, insert_jobs};
use super::{Job, NewEvent, Store, StoreError, corrupt, now_ms, on_db};

/// The PostgreSQL channel on which instances tell each other of changes: `{instance}:{recording id}`.
pub(super) const CHANNEL: &str = "storyline_changes";

/// A recording as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredRecording {
    pub id: RecordingId,
    pub phone: PhoneNumber,
    /// The number as the storyteller typed it (or its national format).
    pub phone_display: String,
    pub call_sid: Option<CallSid>,
    pub recording: Recording,
    /// The host service's own id for the story, given through the API.
    pub reference: Option<String>,
    /// The question the call asks, given through the API.
    pub prompt: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the recording reached its ending.
    pub finished_at: Option<i64>,
    /// The version a change of it is checked against ([`Store::save`]).
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct RecordingRow {
    id: String,
    phone: String,
    phone_display: String,
    call_sid: Option<String>,
    state: String,
    reference: Option<String>,
    prompt: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
    version: i64,
}

impl TryFrom<RecordingRow> for StoredRecording {
    type Error = StoreError;

    fn try_from(r: RecordingRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.parse().map_err(|e| corrupt("id", e))?,
            phone: r.phone.parse().map_err(|e| corrupt("phone", e))?,
            phone_display: r.phone_display,
            call_sid: r
                .call_sid
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt("call_sid", e))?,
            recording: serde_json::from_str(&r.state).map_err(|e| corrupt("state", e))?,
            reference: r.reference,
            prompt: r.prompt,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
            version: r.version,
        })
    }
}

/// The columns [`RecordingRow`] reads, as a literal to `concat!` conditions to.
macro_rules! select_recordings {
    () => {
        "SELECT id, phone, phone_display, call_sid, state, reference, prompt, created_at, updated_at, finished_at, \
         version FROM storyline_recordings"
    };
}

/// A recording about to be created.
#[derive(Debug, Clone)]
pub(crate) struct NewRecording {
    pub id: RecordingId,
    pub phone: PhoneNumber,
    pub phone_display: String,
    pub reference: Option<String>,
    pub prompt: Option<String>,
}

/// Which hourly limit a new recording reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `STORYLINE_CALLS_PER_NUMBER_PER_HOUR`.
    Number,
    /// `STORYLINE_CALLS_PER_ADDRESS_PER_HOUR`.
    Address,
}

/// Why a recording was not created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InsertError {
    /// A limit is reached: nothing was inserted.
    #[error("the per-{} hourly call limit is reached", match .0 { Limit::Number => "number", Limit::Address => "address" })]
    Limited(Limit),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for InsertError {
    fn from(e: sqlx::Error) -> Self {
        InsertError::Store(e.into())
    }
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// It is committed.
    Saved,
    /// The recording changed since it was read (another webhook, perhaps on another instance, came first): nothing
    /// was written; read it again and make the change anew.
    Conflict,
}

/// The window the hourly limits count over.
pub(crate) const LIMIT_WINDOW_MS: i64 = 60 * 60 * 1000;

/// The advisory locks (PostgreSQL) under which a new recording is counted against the limits and inserted: one for
/// its number and one for its client address, taken by every instance in the same order, so two requests on two
/// instances cannot both slip under a limit, while requests for other numbers from other addresses never wait.
fn limit_locks(phone: &str, address: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("storyline number {phone}")];
    keys.extend(address.map(|a| format!("storyline address {a}")));
    keys.sort();
    keys
}

impl Store {
    /// Loads one recording.
    pub(crate) async fn get(&self, id: &RecordingId) -> Result<Option<StoredRecording>, StoreError> {
        let row: Option<RecordingRow> = on_db!(self, |pool, pg| {
            sqlx::query_as(concat!(select_recordings!(), " WHERE id = $1"))
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(StoredRecording::try_from).transpose()
    }

    /// Creates a recording in its first state (recording the client's address) unless the number or the address
    /// already had its share of calls in the last hour (`0` turns a limit off). A recording whose call Twilio refused
    /// is deleted and so does not count. The count and the insert are one step for every instance: on SQLite the
    /// statement holds the database's write lock, on PostgreSQL the transaction holds advisory locks on the number and
    /// the address.
    pub(crate) async fn insert_within_limits(
        &self,
        new: &NewRecording,
        address: Option<&str>,
        per_number: u32,
        per_address: u32,
    ) -> Result<(), InsertError> {
        let recording = Recording::new();
        let state = serde_json::to_string(&recording).map_err(|e| corrupt("state", e))?;
        let now = now_ms();
        let since = now - LIMIT_WINDOW_MS;
        let (inserted, to_number) = on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            if pg {
                for key in limit_locks(new.phone.e164(), address) {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let inserted = sqlx::query(
                "INSERT INTO storyline_recordings (id, phone, phone_display, call_sid, status, state, created_at, \
                                                   updated_at, address, reference, prompt) \
                 SELECT $1, $2, $3, NULL, $4, $5, $6, $6, $7, $8, $9 \
                 WHERE ($10 = 0 OR (SELECT COUNT(*) FROM storyline_recordings WHERE phone = $2 AND created_at > $12) < $10) \
                   AND ($11 = 0 OR $7 IS NULL \
                        OR (SELECT COUNT(*) FROM storyline_recordings WHERE address = $7 AND created_at > $12) < $11)",
            )
            .bind(new.id.as_str())
            .bind(new.phone.e164())
            .bind(&new.phone_display)
            .bind(recording.status().as_str())
            .bind(&state)
            .bind(now)
            .bind(address)
            .bind(&new.reference)
            .bind(&new.prompt)
            .bind(i64::from(per_number))
            .bind(i64::from(per_address))
            .bind(since)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let to_number: i64 = if inserted == 1 {
                0
            } else {
                sqlx::query_scalar("SELECT COUNT(*) FROM storyline_recordings WHERE phone = $1 AND created_at > $2")
                    .bind(new.phone.e164())
                    .bind(since)
                    .fetch_one(&mut *tx)
                    .await?
            };
            tx.commit().await?;
            (inserted, to_number)
        });
        if inserted == 1 {
            return Ok(());
        }
        let limit = if per_number > 0 && to_number >= i64::from(per_number) {
            Limit::Number
        } else {
            Limit::Address
        };
        Err(InsertError::Limited(limit))
    }

    /// Recordings whose status is one of `statuses` and that have not changed since `before_ms`.
    pub(crate) async fn stale(&self, statuses: &[Status], before_ms: i64) -> Result<Vec<StoredRecording>, StoreError> {
        let mut out = Vec::new();
        for status in statuses {
            let rows: Vec<RecordingRow> = on_db!(self, |pool, pg| {
                sqlx::query_as(concat!(select_recordings!(), " WHERE status = $1 AND updated_at < $2"))
                    .bind(status.as_str())
                    .bind(before_ms)
                    .fetch_all(pool)
                    .await?
            });
            for r in rows {
                out.push(r.try_into()?);
            }
        }
        Ok(out)
    }

    /// Removes a recording that never became a call (Twilio refused to place it), so nothing half-made is left behind.
    pub(crate) async fn delete_unplaced(&self, id: &RecordingId) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM storyline_jobs WHERE recording_id = $1 AND kind = $2")
                .bind(id.as_str())
                .bind(super::job::PLACE_CALL)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM storyline_recordings WHERE id = $1 AND call_sid IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM storyline_jobs WHERE recording_id = $1)",
            )
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Saves a recording's new state, made from the state read at `version`, with the jobs it starts and the event it
    /// raises, atomically: unless the recording changed since (then nothing is written, [`Saved::Conflict`]). See
    /// [`insert_jobs`] for jobs asked for twice; an event of a type the story already raised replaces it only while
    /// no delivery of it has been tried. `notify` tells the other instances' pages.
    pub(crate) async fn save(
        &self,
        id: &RecordingId,
        version: i64,
        recording: &Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
        notify: bool,
    ) -> Result<Saved, StoreError> {
        let state = serde_json::to_string(recording).map_err(|e| corrupt("state", e))?;
        let now = now_ms();
        let finished = recording.is_final().then_some(now);
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE storyline_recordings SET status = $1, state = $2, call_sid = COALESCE($3, call_sid), \
                 updated_at = $4, finished_at = COALESCE(finished_at, $5), version = version + 1 \
                 WHERE id = $6 AND version = $7",
            )
            .bind(recording.status().as_str())
            .bind(&state)
            .bind(recording.call_sid().map(CallSid::as_str))
            .bind(now)
            .bind(finished)
            .bind(id.as_str())
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                tx.rollback().await?;
                return Ok(Saved::Conflict);
            }
            insert_jobs!(tx, pg, id, jobs);
            if let Some(event) = event {
                // A second ending of the same type (`hung_up`, then `no_recording` once the recording's callback
                // comes) replaces the first while nothing of it has been sent.
                let inserted = sqlx::query(
                    "INSERT INTO storyline_events (id, recording_id, type, created_at, body) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (recording_id, type) DO UPDATE SET body = excluded.body, created_at = excluded.created_at \
                     WHERE storyline_events.delivered_at IS NULL AND storyline_events.attempts = 0",
                )
                .bind(&event.id)
                .bind(id.as_str())
                .bind(event.kind)
                .bind(event.created)
                .bind(&event.body)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    let deliver = [Scheduled {
                        job: Job::DeliverEvent {
                            event_id: event.id.clone(),
                        },
                        run_at: event.deliver_at,
                    }];
                    insert_jobs!(tx, pg, id, &deliver);
                }
            }
            if pg && notify {
                // Delivered to the listeners when the transaction commits, and only then.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(format!("{}:{}", self.instance, id.as_str()))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(Saved::Saved)
    }
}
