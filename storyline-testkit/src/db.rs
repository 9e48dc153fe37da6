//! What a server's database holds, read beside it (SQLite lets two processes share the file): for tests that need
//! what only the server knows (a call's SID, a state while the server is down) and for failure messages.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use storyline_core::CallSid;

/// Opens the database of a data directory.
pub async fn open(data_dir: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join("storyline.sqlite3"))
        .busy_timeout(std::time::Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("open the server's database")
}

/// A recording as stored.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Its status, as stored.
    pub status: String,
    /// The call Twilio placed for it.
    pub call_sid: Option<String>,
    /// The state machine's state, as JSON.
    pub state: String,
    /// The number called (E.164).
    pub phone: String,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// One recording, if it is stored.
pub async fn recording(data_dir: &Path, id: &str) -> Option<Recording> {
    let pool = open(data_dir).await;
    let row: Option<(String, Option<String>, String, String, i64)> =
        sqlx::query_as("SELECT status, call_sid, state, phone, updated_at FROM storyline_recordings WHERE id = ?")
            .bind(id)
            .fetch_optional(&pool)
            .await
            .expect("read the recording");
    pool.close().await;
    row.map(|(status, call_sid, state, phone, updated_at)| Recording {
        status,
        call_sid,
        state,
        phone,
        updated_at,
    })
}

/// The call SID the server stored for a recording.
pub async fn call_sid_of(data_dir: &Path, id: &str) -> CallSid {
    recording(data_dir, id)
        .await
        .unwrap_or_else(|| panic!("recording {id} is stored"))
        .call_sid
        .unwrap_or_else(|| panic!("recording {id} has a call"))
        .parse()
        .expect("a stored call SID is well formed")
}

/// The status the server's database holds for a recording.
pub async fn stored_status(data_dir: &Path, id: &str) -> String {
    recording(data_dir, id)
        .await
        .unwrap_or_else(|| panic!("recording {id} is stored"))
        .status
}

/// How many recordings the database holds.
pub async fn recordings_count(data_dir: &Path) -> i64 {
    let pool = open(data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM storyline_recordings")
        .fetch_one(&pool)
        .await
        .expect("count recordings");
    pool.close().await;
    n
}

/// Every recording's id, call SID and number.
pub async fn all_recordings(data_dir: &Path) -> Vec<(String, Option<String>, String)> {
    let pool = open(data_dir).await;
    let rows = sqlx::query_as("SELECT id, call_sid, phone FROM storyline_recordings")
        .fetch_all(&pool)
        .await
        .expect("read recordings");
    pool.close().await;
    rows
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the database says about a recording and its background work, for a failure message.
pub async fn stored_story(data_dir: &Path, id: &str) -> String {
    let mut out = match recording(data_dir, id).await {
        Some(r) => format!("status {}, state {}\n", r.status, r.state),
        None => "no recording\n".to_owned(),
    };
    let pool = open(data_dir).await;
    let jobs = sqlx::query_as::<_, (String, String, i64, i64, i64, Option<String>)>(
        "SELECT kind, payload, attempts, done, run_at, last_error FROM storyline_jobs WHERE recording_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await;
    match jobs {
        Ok(jobs) => {
            let now = now_ms();
            for (kind, payload, attempts, done, run_at, error) in jobs {
                out.push_str(&format!(
                    "job {kind} {payload}: attempts {attempts}, done {done}, due in {} ms, last error {error:?}\n",
                    run_at - now
                ));
            }
        }
        Err(e) => out.push_str(&format!("jobs unreadable: {e}\n")),
    }
    pool.close().await;
    out
}

/// How many background jobs a recording has had.
pub async fn jobs_count(data_dir: &Path, id: &str) -> i64 {
    let pool = open(data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM storyline_jobs WHERE recording_id = ?")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("count jobs");
    pool.close().await;
    n
}
