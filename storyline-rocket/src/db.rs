//! Persistence: SQLite in the data directory, migrations applied at start-up.
//!
//! A webhook's state change is committed here before the webhook is answered, together with the background work it
//! starts, in one transaction.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

/// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
pub async fn open(data_dir: &Path) -> Result<SqlitePool, sqlx::Error> {
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
    Ok(pool)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A stored recording row.
#[derive(Debug, Clone)]
pub struct RecordingRow {
    pub id: String,
    pub phone: String,
    pub phone_display: String,
    pub call_sid: Option<String>,
    pub status: String,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RecordingRow {
    fn from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            phone: r.try_get("phone")?,
            phone_display: r.try_get("phone_display")?,
            call_sid: r.try_get("call_sid")?,
            status: r.try_get("status")?,
            state: r.try_get("state")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Loads one recording.
pub async fn get(pool: &SqlitePool, id: &str) -> Result<Option<RecordingRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM recordings WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(RecordingRow::from_row).transpose()
}

/// Recordings whose status is one of `statuses` and that have not changed since `before_ms`.
pub async fn stale(pool: &SqlitePool, statuses: &[&str], before_ms: i64) -> Result<Vec<RecordingRow>, sqlx::Error> {
    let mut out = Vec::new();
    for status in statuses {
        let rows = sqlx::query("SELECT * FROM recordings WHERE status = ? AND updated_at < ?")
            .bind(status)
            .bind(before_ms)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            out.push(RecordingRow::from_row(r)?);
        }
    }
    Ok(out)
}

/// Removes a recording that never became a call (Twilio refused to place it), so nothing half-made is left behind.
pub async fn delete_unplaced(pool: &SqlitePool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recordings WHERE id = ? AND call_sid IS NULL")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A job to enqueue with a state change.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: String,
    pub run_at: i64,
}

/// Saves a new state and the jobs it starts, atomically (see [`insert_jobs`] for jobs asked for twice).
pub async fn save_state(
    pool: &SqlitePool,
    id: &str,
    status: &str,
    state: &str,
    call_sid: Option<&str>,
    jobs: &[NewJob],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE recordings SET status = ?, state = ?, call_sid = COALESCE(?, call_sid), updated_at = ? WHERE id = ?",
    )
    .bind(status)
    .bind(state)
    .bind(call_sid)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    insert_jobs(&mut tx, id, jobs).await?;
    tx.commit().await
}

/// Enqueues work for a recording without touching its state (which only [`save_state`] writes, under the app's
/// write lock, from the state just read).
pub async fn enqueue(pool: &SqlitePool, id: &str, jobs: &[NewJob]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    insert_jobs(&mut tx, id, jobs).await?;
    tx.commit().await
}

/// A job asked for again keeps the earlier of its two times; a finished one runs again. Every job is safe to repeat:
/// a second copy of stored media, a second delete or a second reconciliation changes nothing, while a job whose result
/// was ignored (its event came before the state it needed) must not be lost.
async fn insert_jobs(tx: &mut sqlx::SqliteConnection, id: &str, jobs: &[NewJob]) -> Result<(), sqlx::Error> {
    for job in jobs {
        sqlx::query(
            "INSERT INTO jobs (recording_id, kind, payload, run_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (recording_id, kind, payload) DO UPDATE SET \
               run_at = CASE WHEN jobs.done = 1 THEN excluded.run_at ELSE MIN(jobs.run_at, excluded.run_at) END, \
               done = 0",
        )
        .bind(id)
        .bind(job.kind)
        .bind(&job.payload)
        .bind(job.run_at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A job that is due.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub recording_id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

/// Jobs whose time has come, oldest first.
pub async fn due_jobs(pool: &SqlitePool, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, recording_id, kind, payload, attempts FROM jobs WHERE done = 0 AND run_at <= ? ORDER BY run_at LIMIT ?",
    )
    .bind(now_ms())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Job {
                id: r.try_get("id")?,
                recording_id: r.try_get("recording_id")?,
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Marks a job done.
pub async fn finish_job(pool: &SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET done = 1 WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn retry_job(pool: &SqlitePool, id: i64, run_at: i64, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET attempts = attempts + 1, run_at = ?, last_error = ? WHERE id = ?")
        .bind(run_at)
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
