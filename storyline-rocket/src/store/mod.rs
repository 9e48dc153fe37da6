//! Every SQL statement: SQLite in the data directory (or a pool the host service gives), migrations applied at
//! start-up. Functions take and return typed values; only this module knows the tables.
//!
//! A webhook's state change is committed here before the webhook is answered, together with the background work it
//! starts and the event it raises, in one transaction.

mod audio;
mod job;

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use storyline_core::recording::{Recording, Status};
use storyline_core::{CallSid, PhoneNumber, RecordingId};

pub(crate) use audio::{AudioFiles, check_wav};
pub(crate) use job::{Job, UnreadableJob};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A row holds what this version cannot read.
    #[error("unreadable row: {0}")]
    Corrupt(String),
}

/// The database: cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pool: SqlitePool,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub(crate) async fn open(data_dir: &Path) -> Result<Store, sqlx::Error> {
        let path = data_dir.join("storyline.sqlite3");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL can lose the last commits on power loss but never on a process crash; FULL keeps them.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Store::with_pool(pool).await
    }

    /// Uses a pool the host service made, bringing its schema up to date.
    pub(crate) async fn with_pool(pool: SqlitePool) -> Result<Store, sqlx::Error> {
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }
}

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
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl StoredRecording {
    fn from_row(r: &SqliteRow) -> Result<Self, StoreError> {
        let id: String = r.try_get("id")?;
        let phone: String = r.try_get("phone")?;
        let call_sid: Option<String> = r.try_get("call_sid")?;
        let state: String = r.try_get("state")?;
        Ok(Self {
            id: id.parse().map_err(|e| corrupt("id", e))?,
            phone: phone.parse().map_err(|e| corrupt("phone", e))?,
            phone_display: r.try_get("phone_display")?,
            call_sid: call_sid
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt("call_sid", e))?,
            recording: serde_json::from_str(&state).map_err(|e| corrupt("state", e))?,
            reference: r.try_get("reference")?,
            prompt: r.try_get("prompt")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            finished_at: r.try_get("finished_at")?,
        })
    }
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

/// The window the hourly limits count over.
const LIMIT_WINDOW_MS: i64 = 60 * 60 * 1000;

/// A job and when it is due.
#[derive(Debug, Clone)]
pub(crate) struct Scheduled {
    pub job: Job,
    /// Milliseconds since the Unix epoch.
    pub run_at: i64,
}

/// An event for the host service, raised with a state change.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub id: String,
    pub kind: &'static str,
    /// Unix seconds.
    pub created: i64,
    /// The JSON delivered, every time.
    pub body: String,
}

/// An event as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub recording_id: RecordingId,
    /// Unix seconds.
    pub created: i64,
    pub body: String,
    pub delivered: bool,
}

/// A job that is due.
#[derive(Debug)]
pub(crate) struct DueJob {
    pub id: i64,
    pub recording_id: RecordingId,
    pub job: Result<Job, UnreadableJob>,
    /// Attempts that failed so far.
    pub attempts: u32,
}

/// What an `Idempotency-Key` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The key is new: it is now held by this request, which must answer it or release it.
    New,
    /// A request with this key is being answered right now.
    InFlight,
    /// The key was answered: the first answer, and whether it was for the same request.
    Answered {
        status: u16,
        body: String,
        same_request: bool,
    },
}

impl Store {
    /// Loads one recording.
    pub(crate) async fn get(&self, id: &RecordingId) -> Result<Option<StoredRecording>, StoreError> {
        let row = sqlx::query("SELECT * FROM recordings WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(StoredRecording::from_row).transpose()
    }

    /// Creates a recording in its first state (recording the client's address) unless the number or the address
    /// already had its share of calls in the last hour (`0` turns a limit off). A recording whose call Twilio refused
    /// is deleted and so does not count.
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
        // One statement: SQLite takes the write lock before it counts, so the count and the insert are one step.
        let inserted = sqlx::query(
            "INSERT INTO recordings (id, phone, phone_display, call_sid, status, state, created_at, updated_at, address, \
                                     reference, prompt) \
             SELECT ?1, ?2, ?3, NULL, ?4, ?5, ?6, ?6, ?7, ?8, ?9 \
             WHERE (?10 = 0 OR (SELECT COUNT(*) FROM recordings WHERE phone = ?2 AND created_at > ?12) < ?10) \
               AND (?11 = 0 OR ?7 IS NULL \
                    OR (SELECT COUNT(*) FROM recordings WHERE address = ?7 AND created_at > ?12) < ?11)",
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
        .bind(per_number)
        .bind(per_address)
        .bind(since)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(());
        }
        let (to_number,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recordings WHERE phone = ? AND created_at > ?")
            .bind(new.phone.e164())
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
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
            let rows = sqlx::query("SELECT * FROM recordings WHERE status = ? AND updated_at < ?")
                .bind(status.as_str())
                .bind(before_ms)
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push(StoredRecording::from_row(r)?);
            }
        }
        Ok(out)
    }

    /// Removes a recording that never became a call (Twilio refused to place it), so nothing half-made is left behind.
    pub(crate) async fn delete_unplaced(&self, id: &RecordingId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM recordings WHERE id = ? AND call_sid IS NULL")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Saves a recording's new state with the jobs it starts and the event it raises (delivered `deliver_after` from
    /// now), atomically (see [`insert_jobs`] for jobs asked for twice; an event of a type the story already raised is
    /// not raised again).
    pub(crate) async fn save(
        &self,
        id: &RecordingId,
        recording: &Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
        deliver_after: std::time::Duration,
    ) -> Result<(), StoreError> {
        let state = serde_json::to_string(recording).map_err(|e| corrupt("state", e))?;
        let now = now_ms();
        let finished = recording.is_final().then_some(now);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE recordings SET status = ?, state = ?, call_sid = COALESCE(?, call_sid), updated_at = ?, \
             finished_at = COALESCE(finished_at, ?) WHERE id = ?",
        )
        .bind(recording.status().as_str())
        .bind(&state)
        .bind(recording.call_sid().map(CallSid::as_str))
        .bind(now)
        .bind(finished)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        insert_jobs(&mut tx, id, jobs).await?;
        if let Some(event) = event {
            let inserted = sqlx::query(
                "INSERT INTO events (id, recording_id, type, created_at, body) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (recording_id, type) DO NOTHING",
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
                let deliver = Scheduled {
                    job: Job::DeliverEvent {
                        event_id: event.id.clone(),
                    },
                    run_at: now + deliver_after.as_millis() as i64,
                };
                insert_jobs(&mut tx, id, std::slice::from_ref(&deliver)).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Enqueues work for a recording without touching its state (which only [`Store::save`] writes, from the state
    /// just read).
    pub(crate) async fn enqueue(&self, id: &RecordingId, jobs: &[Scheduled]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_jobs(&mut tx, id, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs whose time has come, oldest first.
    pub(crate) async fn due_jobs(&self, limit: i64) -> Result<Vec<DueJob>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, recording_id, kind, payload, attempts FROM jobs WHERE done = 0 AND run_at <= ? \
             ORDER BY run_at LIMIT ?",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let recording_id: String = r.try_get("recording_id")?;
                let kind: String = r.try_get("kind")?;
                let payload: String = r.try_get("payload")?;
                let attempts: i64 = r.try_get("attempts")?;
                Ok(DueJob {
                    id: r.try_get("id")?,
                    recording_id: recording_id.parse().map_err(|e| corrupt("recording_id", e))?,
                    job: Job::from_stored(&kind, &payload),
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Marks a job done.
    pub(crate) async fn finish_job(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET done = 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub(crate) async fn retry_job(&self, id: i64, run_at: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET attempts = attempts + 1, run_at = ?, last_error = ? WHERE id = ?")
            .bind(run_at)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Loads an event.
    pub(crate) async fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row = sqlx::query("SELECT recording_id, created_at, body, delivered_at FROM events WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let recording_id: String = r.try_get("recording_id")?;
            let delivered: Option<i64> = r.try_get("delivered_at")?;
            Ok(StoredEvent {
                recording_id: recording_id.parse().map_err(|e| corrupt("recording_id", e))?,
                created: r.try_get("created_at")?,
                body: r.try_get("body")?,
                delivered: delivered.is_some(),
            })
        })
        .transpose()
    }

    /// Records that the host service took an event.
    pub(crate) async fn event_delivered(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE events SET delivered_at = COALESCE(delivered_at, ?) WHERE id = ?")
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes an `Idempotency-Key` for a request (`request` is what makes two requests the same), or says what it
    /// already holds. Keys older than `ttl_ms` are forgotten.
    pub(crate) async fn claim_key(&self, key: &str, request: &str, ttl_ms: i64) -> Result<Claim, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(now - ttl_ms)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (key, request, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(request)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let claim = if inserted == 1 {
            Claim::New
        } else {
            let r = sqlx::query("SELECT request, status, body FROM idempotency_keys WHERE key = ?")
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
            let first: String = r.try_get("request")?;
            let status: Option<i64> = r.try_get("status")?;
            let body: Option<String> = r.try_get("body")?;
            match (status, body) {
                (Some(status), Some(body)) => Claim::Answered {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                    same_request: first == request,
                },
                _ => Claim::InFlight,
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    /// Keeps the answer given to a key.
    pub(crate) async fn answer_key(&self, key: &str, status: u16, body: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency_keys SET status = ?, body = ? WHERE key = ?")
            .bind(i64::from(status))
            .bind(body)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets a key go without an answer (the request failed on our side: the host may try again with it).
    pub(crate) async fn release_key(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = ? AND status IS NULL")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A job asked for again keeps the earlier of its two times; a finished one runs again. Every job is safe to repeat,
/// while a job whose result was ignored (its event came before the state it needed) must not be lost.
async fn insert_jobs(tx: &mut sqlx::SqliteConnection, id: &RecordingId, jobs: &[Scheduled]) -> Result<(), sqlx::Error> {
    for s in jobs {
        sqlx::query(
            "INSERT INTO jobs (recording_id, kind, payload, run_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (recording_id, kind, payload) DO UPDATE SET \
               run_at = CASE WHEN jobs.done = 1 THEN excluded.run_at ELSE MIN(jobs.run_at, excluded.run_at) END, \
               done = 0",
        )
        .bind(id.as_str())
        .bind(s.job.kind())
        .bind(s.job.payload())
        .bind(s.run_at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
