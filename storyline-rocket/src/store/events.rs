//! Events for the host service, and the API's `Idempotency-Key`s.

use storyline_core::RecordingId;

use super::{Store, StoreError, corrupt, now_ms, on_db};

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

#[derive(sqlx::FromRow)]
struct EventRow {
    recording_id: String,
    created_at: i64,
    body: String,
    delivered_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    request: String,
    created_at: i64,
    recording_id: Option<String>,
    status: Option<i64>,
    body: Option<String>,
}

impl Store {
    /// Loads an event.
    pub(crate) async fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> = on_db!(self, |pool, pg| {
            sqlx::query_as("SELECT recording_id, created_at, body, delivered_at FROM storyline_events WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|r| {
            Ok(StoredEvent {
                recording_id: r.recording_id.parse().map_err(|e| corrupt("recording_id", e))?,
                created: r.created_at,
                body: r.body,
                delivered: r.delivered_at.is_some(),
            })
        })
        .transpose()
    }

    /// Counts a delivery attempt: from now on the event's body is fixed.
    pub(crate) async fn event_attempted(&self, id: &str) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("UPDATE storyline_events SET attempts = attempts + 1 WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records that the host service took an event.
    pub(crate) async fn event_delivered(&self, id: &str) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("UPDATE storyline_events SET delivered_at = COALESCE(delivered_at, $1) WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Takes an `Idempotency-Key` for a request (`request` is what makes two requests the same), or says what it
    /// already holds. Keys older than `ttl_ms` are forgotten.
    pub(crate) async fn claim_key(&self, key: &str, request: &str, ttl_ms: i64) -> Result<Claim, StoreError> {
        let now = now_ms();
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM storyline_idempotency_keys WHERE created_at < $1")
                .bind(now - ttl_ms)
                .execute(&mut *tx)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO storyline_idempotency_keys (key, request, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO NOTHING",
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
                let r: KeyRow = sqlx::query_as(if pg {
                    "SELECT request, created_at, recording_id, status, body FROM storyline_idempotency_keys \
                     WHERE key = $1 FOR UPDATE"
                } else {
                    "SELECT request, created_at, recording_id, status, body FROM storyline_idempotency_keys \
                     WHERE key = $1"
                })
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                let same_request = r.request == request;
                match (r.status, r.body, r.recording_id) {
                    (Some(status), Some(body), _) => Claim::Answered {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                        same_request,
                    },
                    _ if now - r.created_at < KEY_HELD_AT_MOST_MS => Claim::InFlight,
                    (_, _, Some(recording)) => Claim::Started {
                        recording_id: recording.parse().map_err(|e| corrupt("recording_id", e))?,
                        same_request,
                    },
                    // It died before anything was placed: the key is this request's now.
                    (_, _, None) if same_request => {
                        sqlx::query("UPDATE storyline_idempotency_keys SET created_at = $1 WHERE key = $2")
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
        })
    }

    /// Notes the recording a key's request created, before its call is placed.
    pub(crate) async fn key_started(&self, key: &str, id: &RecordingId) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("UPDATE storyline_idempotency_keys SET recording_id = $1 WHERE key = $2")
                .bind(id.as_str())
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps the answer given to a key.
    pub(crate) async fn answer_key(&self, key: &str, status: u16, body: &str) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("UPDATE storyline_idempotency_keys SET status = $1, body = $2 WHERE key = $3")
                .bind(i64::from(status))
                .bind(body)
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Lets a key go without an answer (the request failed on our side: the host may try again with it).
    pub(crate) async fn release_key(&self, key: &str) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("DELETE FROM storyline_idempotency_keys WHERE key = $1 AND status IS NULL")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
