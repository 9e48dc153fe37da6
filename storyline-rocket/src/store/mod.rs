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
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Uses a pool the host service made, bringing Storyline's tables in it up to date. Storyline keeps its own
    /// record of migrations (`storyline_migrations`), apart from the host's (`_sqlx_migrations`).
    pub(crate) async fn with_host_pool(pool: SqlitePool) -> Result<Store, sqlx::Error> {
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.dangerous_set_table_name("storyline_migrations");
        migrator.run(&pool).await?;
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
    /// When to deliver it, in milliseconds since the Unix epoch.
    pub deliver_at: i64,
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
    /// How often it was asked for: finishing it finishes only this request of it.
    pub generation: i64,
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
    /// The request that held the key stopped (the server died) after it created this recording: its story is the
    /// answer.
    Started {
        recording_id: RecordingId,
        same_request: bool,
    },
}

/// How long a request may hold an `Idempotency-Key` without answering before it is taken to have died with its
/// server: far beyond the longest start of a story (a few seconds' wait for a turn, and Twilio's answer).
const KEY_HELD_AT_MOST_MS: i64 = 5 * 60 * 1000;

impl Store {
    /// Loads one recording.
    pub(crate) async fn get(&self, id: &RecordingId) -> Result<Option<StoredRecording>, StoreError> {
        let row = sqlx::query("SELECT * FROM storyline_recordings WHERE id = ?")
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
            "INSERT INTO storyline_recordings (id, phone, phone_display, call_sid, status, state, created_at, updated_at, address, \
                                     reference, prompt) \
             SELECT ?1, ?2, ?3, NULL, ?4, ?5, ?6, ?6, ?7, ?8, ?9 \
             WHERE (?10 = 0 OR (SELECT COUNT(*) FROM storyline_recordings WHERE phone = ?2 AND created_at > ?12) < ?10) \
               AND (?11 = 0 OR ?7 IS NULL \
                    OR (SELECT COUNT(*) FROM storyline_recordings WHERE address = ?7 AND created_at > ?12) < ?11)",
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
        let (to_number,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM storyline_recordings WHERE phone = ? AND created_at > ?")
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
            let rows = sqlx::query("SELECT * FROM storyline_recordings WHERE status = ? AND updated_at < ?")
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
        sqlx::query("DELETE FROM storyline_recordings WHERE id = ? AND call_sid IS NULL")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Saves a recording's new state with the jobs it starts and the event it raises, atomically (see [`insert_jobs`] for jobs asked for twice; an event of a type the story already raised
    /// replaces it only while no delivery of it has been tried).
    pub(crate) async fn save(
        &self,
        id: &RecordingId,
        recording: &Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError> {
        let state = serde_json::to_string(recording).map_err(|e| corrupt("state", e))?;
        let now = now_ms();
        let finished = recording.is_final().then_some(now);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE storyline_recordings SET status = ?, state = ?, call_sid = COALESCE(?, call_sid), updated_at = ?, \
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
            // A second ending of the same type (`hung_up`, then `no_recording` once the recording's callback comes)
            // replaces the first while nothing of it has been sent.
            let inserted = sqlx::query(
                "INSERT INTO storyline_events (id, recording_id, type, created_at, body) VALUES (?, ?, ?, ?, ?) \
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
                let deliver = Scheduled {
                    job: Job::DeliverEvent {
                        event_id: event.id.clone(),
                    },
                    run_at: event.deliver_at,
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
            "SELECT id, recording_id, kind, payload, attempts, generation FROM storyline_jobs WHERE done = 0 AND run_at <= ? \
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
                    generation: r.try_get("generation")?,
                    recording_id: recording_id.parse().map_err(|e| corrupt("recording_id", e))?,
                    job: Job::from_stored(&kind, &payload),
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Marks a job done, unless it was asked for again since it was read (then it runs again).
    pub(crate) async fn finish_job(&self, id: i64, generation: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_jobs SET done = 1 WHERE id = ? AND generation = ?")
            .bind(id)
            .bind(generation)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub(crate) async fn retry_job(&self, id: i64, run_at: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_jobs SET attempts = attempts + 1, run_at = ?, last_error = ? WHERE id = ?")
            .bind(run_at)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Loads an event.
    pub(crate) async fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row = sqlx::query("SELECT recording_id, created_at, body, delivered_at FROM storyline_events WHERE id = ?")
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

    /// Counts a delivery attempt: from now on the event's body is fixed.
    pub(crate) async fn event_attempted(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_events SET attempts = attempts + 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that the host service took an event.
    pub(crate) async fn event_delivered(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_events SET delivered_at = COALESCE(delivered_at, ?) WHERE id = ?")
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
        sqlx::query("DELETE FROM storyline_idempotency_keys WHERE created_at < ?")
            .bind(now - ttl_ms)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO storyline_idempotency_keys (key, request, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
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
            let r = sqlx::query(
                "SELECT request, created_at, recording_id, status, body FROM storyline_idempotency_keys WHERE key = ?",
            )
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            let first: String = r.try_get("request")?;
            let held_since: i64 = r.try_get("created_at")?;
            let recording: Option<String> = r.try_get("recording_id")?;
            let status: Option<i64> = r.try_get("status")?;
            let body: Option<String> = r.try_get("body")?;
            let same_request = first == request;
            match (status, body, recording) {
                (Some(status), Some(body), _) => Claim::Answered {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                    same_request,
                },
                _ if now - held_since < KEY_HELD_AT_MOST_MS => Claim::InFlight,
                (_, _, Some(recording)) => Claim::Started {
                    recording_id: recording.parse().map_err(|e| corrupt("recording_id", e))?,
                    same_request,
                },
                // It died before anything was placed: the key is this request's now.
                (_, _, None) if same_request => {
                    sqlx::query("UPDATE storyline_idempotency_keys SET created_at = ? WHERE key = ?")
                        .bind(now)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    Claim::New
                }
                // It died before anything was placed, and this is another request with the same key: a mistake.
                (_, _, None) => Claim::Answered {
                    status: 0,
                    body: String::new(),
                    same_request: false,
                },
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    /// Notes the recording a key's request created, before its call is placed.
    pub(crate) async fn key_started(&self, key: &str, id: &RecordingId) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_idempotency_keys SET recording_id = ? WHERE key = ?")
            .bind(id.as_str())
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps the answer given to a key.
    pub(crate) async fn answer_key(&self, key: &str, status: u16, body: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE storyline_idempotency_keys SET status = ?, body = ? WHERE key = ?")
            .bind(i64::from(status))
            .bind(body)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets a key go without an answer (the request failed on our side: the host may try again with it).
    pub(crate) async fn release_key(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM storyline_idempotency_keys WHERE key = ? AND status IS NULL")
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
            "INSERT INTO storyline_jobs (recording_id, kind, payload, run_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (recording_id, kind, payload) DO UPDATE SET \
               run_at = CASE WHEN storyline_jobs.done = 1 THEN excluded.run_at ELSE MIN(storyline_jobs.run_at, excluded.run_at) END, \
               done = 0, generation = storyline_jobs.generation + 1",
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

#[cfg(test)]
mod tests {
    use storyline_core::RecordingSid;

    use super::*;

    async fn store_with_a_recording() -> (Store, RecordingId, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a data directory");
        let store = Store::open(dir.path()).await.expect("the store opens");
        let id = RecordingId::from_bytes([3; 16]);
        let new = NewRecording {
            id: id.clone(),
            phone: "+12015550100".parse().expect("a number"),
            phone_display: "201-555-0100".into(),
            reference: None,
            prompt: None,
        };
        store.insert_within_limits(&new, None, 0, 0).await.expect("inserted");
        (store, id, dir)
    }

    #[tokio::test]
    async fn a_job_asked_for_again_while_it_runs_runs_again() {
        let (store, id, _dir) = store_with_a_recording().await;
        let job = Scheduled {
            job: Job::DeleteTwilioRecording {
                recording_sid: RecordingSid::from_bytes([4; 16]),
            },
            run_at: 0,
        };
        store.enqueue(&id, std::slice::from_ref(&job)).await.expect("enqueued");
        let running = store.due_jobs(10).await.expect("due").pop().expect("the job is due");
        // Asked for again (a webhook needs it again) while the first run is under way.
        store
            .enqueue(&id, std::slice::from_ref(&job))
            .await
            .expect("enqueued again");
        store
            .finish_job(running.id, running.generation)
            .await
            .expect("finished");
        let again = store
            .due_jobs(10)
            .await
            .expect("due")
            .pop()
            .expect("the second request still runs");
        assert_eq!(again.id, running.id);
        store.finish_job(again.id, again.generation).await.expect("finished");
        assert!(store.due_jobs(10).await.expect("due").is_empty());
    }

    #[tokio::test]
    async fn a_host_pool_keeps_storylines_migrations_apart_from_the_hosts() {
        let dir = tempfile::tempdir().expect("a directory");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("host.sqlite3"))
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.expect("a pool");
        // The host's own migrations, recorded where sqlx records them.
        sqlx::query("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)")
            .execute(&pool)
            .await
            .expect("the host's migrations table");
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20240101, 'host', 1, x'00', 0)")
            .execute(&pool)
            .await
            .expect("a host migration");
        let store = Store::with_host_pool(pool.clone())
            .await
            .expect("storyline's migrations run beside the host's");
        let (hosts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(hosts, 1, "the host's record of migrations is untouched");
        let (ours,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM storyline_migrations")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert!(ours >= 3);
        assert!(
            store
                .get(&RecordingId::from_bytes([1; 16]))
                .await
                .expect("a query")
                .is_none()
        );
        // Started again, nothing is applied twice.
        Store::with_host_pool(pool).await.expect("a second start");
    }
}
