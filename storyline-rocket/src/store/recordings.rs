//! The recordings: created within the hourly limits, changed against the version they were read at.

use storyline_core::phone::PhoneError;
use storyline_core::recording::{Recording, Status};
use storyline_core::{CallSid, PhoneNumber, RecordingId};

use super::group::Pending;
use super::work::{Scheduled, insert_jobs};
use super::{NewEvent, Store, StoreError, corrupt, now_ms, on_db};

/// The PostgreSQL channel on which instances tell each other of changes: `{instance}:{recording id}`.
pub(super) const CHANNEL: &str = "storyline_changes";

/// Tells the other instances' pages (PostgreSQL) that recording `$id` changed, inside transaction `$tx`: delivered to
/// the listeners when the transaction commits, and only then.
macro_rules! notify_instances {
    ($tx:ident, $store:expr, $id:expr) => {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind($crate::store::recordings::CHANNEL)
            .bind(format!("{}:{}", $store.instance, $id.as_str()))
            .execute(&mut *$tx)
            .await?;
    };
}

/// Stores `$event` for recording `$id` inside transaction `$tx`, with the job that delivers it. A second ending of the
/// same type (`hung_up`, then `no_recording` once the recording's callback comes) replaces the first while nothing of
/// it has been sent.
macro_rules! insert_event {
    ($tx:ident, $pg:ident, $id:expr, $event:expr) => {
        let inserted = sqlx::query(
            "INSERT INTO storyline_events (id, recording_id, type, created_at, body) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (recording_id, type) DO UPDATE SET body = excluded.body, created_at = excluded.created_at \
             WHERE storyline_events.delivered_at IS NULL AND storyline_events.attempts = 0",
        )
        .bind(&$event.id)
        .bind($id.as_str())
        .bind($event.kind)
        .bind($event.created)
        .bind(&$event.body)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let deliver = [$crate::store::Scheduled {
                job: $crate::store::Job::DeliverEvent {
                    event_id: $event.id.clone(),
                },
                run_at: $event.deliver_at,
            }];
            insert_jobs!($tx, $pg, $id, &deliver);
        }
    };
}
pub(super) use insert_event;

/// A recording as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredRecording {
    pub id: RecordingId,
    pub phone: StoredPhone,
    /// The number as the storyteller typed it (or its national format).
    pub phone_display: String,
    pub call_sid: Option<CallSid>,
    pub recording: Recording,
    /// The host service's own id for the story, given through the API.
    pub reference: Option<String>,
    /// The question the call asks, given through the API.
    pub prompt: Option<String>,
    /// The browser that asked for it (the SHA-256 of its token, in hex): the only one shown the full number.
    pub owner: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the recording reached its ending.
    pub finished_at: Option<i64>,
    /// The version a change of it is checked against ([`Store::save`]).
    pub version: i64,
}

/// A stored number, in E.164 as it was checked when it was first entered.
///
/// Reading a recording does not parse its number again: that takes libphonenumber's metadata and regular expressions,
/// and every webhook reads a recording. [`StoredPhone::number`] parses it where its formats are needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPhone(String);

impl StoredPhone {
    /// A stored value, which must at least look like E.164 (`+` and 2 to 15 digits, no leading zero).
    fn read(e164: String) -> Result<StoredPhone, PhoneError> {
        let digits = e164.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        let well_formed =
            (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if well_formed {
            Ok(StoredPhone(e164))
        } else {
            Err(PhoneError::NotE164)
        }
    }

    /// The number in E.164.
    pub(crate) fn e164(&self) -> &str {
        &self.0
    }

    /// The number, parsed.
    pub(crate) fn number(&self) -> Result<PhoneNumber, PhoneError> {
        self.0.parse()
    }
}

impl From<&PhoneNumber> for StoredPhone {
    fn from(number: &PhoneNumber) -> Self {
        StoredPhone(number.e164().to_owned())
    }
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
    owner: Option<String>,
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
            phone: StoredPhone::read(r.phone).map_err(|e| corrupt("phone", e))?,
            phone_display: r.phone_display,
            call_sid: r
                .call_sid
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt("call_sid", e))?,
            recording: serde_json::from_str(&r.state).map_err(|e| corrupt("state", e))?,
            reference: r.reference,
            prompt: r.prompt,
            owner: r.owner,
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
        "SELECT id, phone, phone_display, call_sid, state, reference, prompt, owner, created_at, updated_at, \
         finished_at, version FROM storyline_recordings"
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
    /// The browser that asks for it ([`StoredRecording::owner`]).
    pub owner: Option<String>,
}

/// The limits on calls a new recording is counted against; 0 turns one off. Windows are rolling: the last hour, the
/// last 24 hours.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallLimits {
    /// Calls to one number in an hour.
    pub number_per_hour: u32,
    /// Calls to one number in 24 hours.
    pub number_per_day: u32,
    /// Calls to one number that went unanswered (no answer, busy, an answering machine) in a row, after which the
    /// number rests for 24 hours from the last of them.
    pub unanswered_in_a_row: u32,
    /// Calls one client address asks for in an hour.
    pub address_per_hour: u32,
    /// The whole service's budget: calls placed in an hour and in 24 hours.
    pub service_calls_per_hour: u32,
    pub service_calls_per_day: u32,
    /// The whole service's budget: call minutes in an hour and in 24 hours (each call counted by the minutes Twilio
    /// bills, rounded up; a call still going on by the minutes it has lasted so far).
    pub service_minutes_per_hour: u32,
    pub service_minutes_per_day: u32,
    /// The longest a call can last, in seconds: a call still going on counts for at most this.
    pub call_seconds_at_most: u32,
}

impl CallLimits {
    fn service_capped(&self) -> bool {
        self.service_calls_per_hour > 0
            || self.service_calls_per_day > 0
            || self.service_minutes_per_hour > 0
            || self.service_minutes_per_day > 0
    }
}

/// Which of the whole service's budgets is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    CallsPerHour,
    CallsPerDay,
    MinutesPerHour,
    MinutesPerDay,
}

impl Budget {
    /// The setting that sets it.
    pub(crate) fn setting(self) -> &'static str {
        match self {
            Budget::CallsPerHour => "STORYLINE_SERVICE_CALLS_PER_HOUR",
            Budget::CallsPerDay => "STORYLINE_SERVICE_CALLS_PER_DAY",
            Budget::MinutesPerHour => "STORYLINE_SERVICE_MINUTES_PER_HOUR",
            Budget::MinutesPerDay => "STORYLINE_SERVICE_MINUTES_PER_DAY",
        }
    }

    /// Whether it renews within the hour (else within the day).
    pub(crate) fn hourly(self) -> bool {
        matches!(self, Budget::CallsPerHour | Budget::MinutesPerHour)
    }
}

/// Which limit a new recording reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `STORYLINE_CALLS_PER_NUMBER_PER_HOUR`.
    Number,
    /// `STORYLINE_CALLS_PER_NUMBER_PER_DAY`.
    NumberDaily,
    /// `STORYLINE_UNANSWERED_IN_A_ROW`: the number rests until this moment (milliseconds since the epoch).
    Unanswered { until_ms: i64 },
    /// `STORYLINE_CALLS_PER_ADDRESS_PER_HOUR`.
    Address,
    /// One of the whole service's budgets.
    Service(Budget),
}

/// Why a recording was not created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InsertError {
    /// A limit is reached: nothing was inserted.
    #[error("a call limit is reached: {0:?}")]
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

/// The window the daily limits count over, and how long a number rests after calls that went unanswered.
pub(crate) const DAY_MS: i64 = 24 * LIMIT_WINDOW_MS;

/// The statuses of a call nobody answered.
const UNANSWERED: [Status; 3] = [Status::NoAnswer, Status::Busy, Status::Machine];

/// What the limits count, besides the recording being created.
#[derive(sqlx::FromRow)]
struct Counts {
    number_hour: i64,
    number_day: i64,
    address_hour: i64,
    service_hour: i64,
    service_day: i64,
    minutes_hour: i64,
    minutes_day: i64,
}

/// The minutes a call counts for: billed minutes once it ended, the minutes so far while it goes on (`$1` now, `$2`
/// the longest a call lasts, in milliseconds).
macro_rules! call_minutes {
    () => {
        "CASE WHEN call_sid IS NULL THEN 0 \
              WHEN call_seconds IS NOT NULL THEN (call_seconds + 59) / 60 \
              WHEN finished_at IS NULL THEN \
                (CASE WHEN $1 - created_at > $2 THEN $2 ELSE $1 - created_at END + 59999) / 60000 \
              ELSE 0 END"
    };
}

impl CallLimits {
    /// The first limit `counts` reach, if any.
    fn reached(&self, c: &Counts, address: bool) -> Option<Limit> {
        let over = |limit: u32, count: i64| limit > 0 && count >= i64::from(limit);
        if over(self.number_per_hour, c.number_hour) {
            Some(Limit::Number)
        } else if over(self.number_per_day, c.number_day) {
            Some(Limit::NumberDaily)
        } else if address && over(self.address_per_hour, c.address_hour) {
            Some(Limit::Address)
        } else if over(self.service_calls_per_hour, c.service_hour) {
            Some(Limit::Service(Budget::CallsPerHour))
        } else if over(self.service_calls_per_day, c.service_day) {
            Some(Limit::Service(Budget::CallsPerDay))
        } else if over(self.service_minutes_per_hour, c.minutes_hour) {
            Some(Limit::Service(Budget::MinutesPerHour))
        } else if over(self.service_minutes_per_day, c.minutes_day) {
            Some(Limit::Service(Budget::MinutesPerDay))
        } else {
            None
        }
    }
}

/// The advisory locks (PostgreSQL) under which a new recording is counted against the limits and inserted: one for
/// its number, one for its client address and, when the service has a budget, one for the service, taken by every
/// instance in the same order, so two requests on two instances cannot both slip under a limit, while (without a
/// budget) requests for other numbers from other addresses never wait.
fn limit_locks(phone: &str, address: Option<&str>, service: bool) -> Vec<String> {
    let mut keys = vec![format!("storyline number {phone}")];
    keys.extend(address.map(|a| format!("storyline address {a}")));
    if service {
        keys.push("storyline service".to_owned());
    }
    keys.sort();
    keys
}

/// What a deleted story keeps of its number while the limits still count it (two days): a digest, never the number.
pub(crate) fn phone_digest(e164: &str) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::new()
        .chain_update(b"storyline deleted number\0")
        .chain_update(e164)
        .finalize();
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// How long a deleted story's number digest is kept, for the limits that count calls to the number.
pub(crate) const DELETED_NUMBER_KEPT_MS: i64 = 2 * DAY_MS;

impl Store {
    /// Whether a recording was deleted (it then reads as none).
    pub(crate) async fn is_deleted(&self, id: &RecordingId) -> Result<bool, StoreError> {
        let deleted: bool = on_db!(self, |pool, pg| {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM storyline_recordings WHERE id = $1 AND deleted_at IS NOT NULL)",
            )
            .bind(id.as_str())
            .fetch_one(pool)
            .await?
        });
        Ok(deleted)
    }

    /// Deletes a story, if it is still as it was read (`stored.version`): its number (a digest stays for the limits,
    /// [`DELETED_NUMBER_KEPT_MS`]), owner, question, state, audio facts, events, idempotency keys and pending work are
    /// erased (its client address stays until `forget` drops it, so deleting cannot undo the per-address limit), and
    /// `jobs` (removing its audio and Twilio's copies) and `event` are stored with the change. The row stays, marked,
    /// so its page can say it was deleted. [`Saved::Conflict`] when it changed since it was read, or is gone.
    pub(crate) async fn delete_story(
        &self,
        stored: &StoredRecording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
    ) -> Result<Saved, StoreError> {
        let id = &stored.id;
        let now = now_ms();
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            // The state goes too: a refusal's message from Twilio can name the number. The status column stays, for
            // the limits that count unanswered calls.
            let deleted = sqlx::query(
                "UPDATE storyline_recordings SET deleted_at = $2, phone = $3, phone_display = '', owner = NULL, \
                 prompt = NULL, state = '{}', updated_at = $2, version = version + 1 \
                 WHERE id = $1 AND version = $4 AND deleted_at IS NULL",
            )
            .bind(id.as_str())
            .bind(now)
            .bind(phone_digest(stored.phone.e164()))
            .bind(stored.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted == 0 {
                tx.rollback().await?;
                return Ok(Saved::Conflict);
            }
            // What it no longer needs, or must not keep: its audio's shape, its work (copies, reconciliation, a
            // queued call, deliveries of earlier events, which are dropped for `story.deleted`), its events' bodies
            // (they carry its question) and the API requests that named its number.
            for sql in [
                "DELETE FROM storyline_audio WHERE recording_id = $1",
                "DELETE FROM storyline_jobs WHERE recording_id = $1 AND done = 0",
                "DELETE FROM storyline_events WHERE recording_id = $1",
                "DELETE FROM storyline_idempotency_keys WHERE recording_id = $1",
            ] {
                sqlx::query(sql).bind(id.as_str()).execute(&mut *tx).await?;
            }
            insert_jobs!(tx, pg, id, jobs);
            if let Some(event) = event {
                insert_event!(tx, pg, id, event);
            }
            if pg {
                notify_instances!(tx, self, id);
            }
            tx.commit().await?;
            Ok(Saved::Saved)
        })
    }

    /// Stories that ended before `before_ms` and are not deleted, at most `limit`: those the retention setting
    /// deletes.
    pub(crate) async fn expired(&self, before_ms: i64, limit: i64) -> Result<Vec<StoredRecording>, StoreError> {
        let rows: Vec<RecordingRow> = on_db!(self, |pool, pg| {
            sqlx::query_as(concat!(
                select_recordings!(),
                " WHERE deleted_at IS NULL AND finished_at IS NOT NULL AND finished_at < $1 \
                   AND status IN ('complete', 'busy', 'no_answer', 'failed', 'canceled', 'hung_up', 'no_recording', \
                                  'machine') \
                 ORDER BY finished_at LIMIT $2"
            ))
            .bind(before_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(StoredRecording::try_from).collect()
    }

    /// Loads one recording.
    pub(crate) async fn get(&self, id: &RecordingId) -> Result<Option<StoredRecording>, StoreError> {
        let row: Option<RecordingRow> = on_db!(self, |pool, pg| {
            sqlx::query_as(concat!(select_recordings!(), " WHERE id = $1 AND deleted_at IS NULL"))
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(StoredRecording::try_from).transpose()
    }

    /// Creates a recording in its first state (recording the client's address) unless a limit is reached: the
    /// number's hourly or daily share of calls, its rest after calls that went unanswered, the address's hourly
    /// share, or the whole service's budget. A recording whose call Twilio refused is deleted and so does not count.
    /// The count and the insert are one step for every instance: the recording is inserted first, which on SQLite
    /// takes the database's write lock, and on PostgreSQL the transaction first takes advisory locks on the number,
    /// the address and (when the service has a budget) the service; over a limit, the transaction is rolled back.
    pub(crate) async fn insert_within_limits(
        &self,
        new: &NewRecording,
        address: Option<&str>,
        limits: &CallLimits,
    ) -> Result<(), InsertError> {
        let recording = Recording::new();
        let state = serde_json::to_string(&recording).map_err(|e| corrupt("state", e))?;
        let now = now_ms();
        let reached = on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            if pg {
                for key in limit_locks(new.phone.e164(), address, limits.service_capped()) {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query(
                "INSERT INTO storyline_recordings (id, phone, phone_display, call_sid, status, state, created_at, \
                                                   updated_at, address, reference, prompt, owner) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6, $6, $7, $8, $9, $10)",
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
            .bind(&new.owner)
            .execute(&mut *tx)
            .await?;
            let counts: Counts = sqlx::query_as(concat!(
                "SELECT \
                   (SELECT COUNT(*) FROM storyline_recordings WHERE phone IN ($3, $8) AND created_at > $5 \
                     AND id <> $7) AS number_hour, \
                   (SELECT COUNT(*) FROM storyline_recordings WHERE phone IN ($3, $8) AND created_at > $6 \
                     AND id <> $7) AS number_day, \
                   (SELECT COUNT(*) FROM storyline_recordings WHERE address = $4 AND created_at > $5 AND id <> $7) \
                     AS address_hour, \
                   (SELECT COUNT(*) FROM storyline_recordings WHERE created_at > $5 AND id <> $7) AS service_hour, \
                   (SELECT COUNT(*) FROM storyline_recordings WHERE created_at > $6 AND id <> $7) AS service_day, \
                   (SELECT CAST(COALESCE(SUM(",
                call_minutes!(),
                "), 0) AS BIGINT) FROM storyline_recordings WHERE created_at > $5) AS minutes_hour, \
                   (SELECT CAST(COALESCE(SUM(",
                call_minutes!(),
                "), 0) AS BIGINT) FROM storyline_recordings WHERE created_at > $6) AS minutes_day"
            ))
            .bind(now)
            .bind(i64::from(limits.call_seconds_at_most) * 1000)
            .bind(new.phone.e164())
            .bind(address)
            .bind(now - LIMIT_WINDOW_MS)
            .bind(now - DAY_MS)
            .bind(new.id.as_str())
            .bind(phone_digest(new.phone.e164()))
            .fetch_one(&mut *tx)
            .await?;
            let mut reached = limits.reached(&counts, address.is_some());
            if reached.is_none() && limits.unanswered_in_a_row > 0 {
                let last: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT status, finished_at FROM storyline_recordings \
                     WHERE phone IN ($1, $5) AND finished_at IS NOT NULL AND id <> $2 AND created_at > $3 \
                     ORDER BY created_at DESC LIMIT $4",
                )
                .bind(new.phone.e164())
                .bind(new.id.as_str())
                .bind(now - 2 * DAY_MS)
                .bind(i64::from(limits.unanswered_in_a_row))
                .bind(phone_digest(new.phone.e164()))
                .fetch_all(&mut *tx)
                .await?;
                let unanswered = |s: &str| UNANSWERED.iter().any(|u| u.as_str() == s);
                if last.len() == limits.unanswered_in_a_row as usize && last.iter().all(|(s, _)| unanswered(s)) {
                    let until_ms = last[0].1 + DAY_MS;
                    if until_ms > now {
                        reached = Some(Limit::Unanswered { until_ms });
                    }
                }
            }
            if reached.is_some() {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            reached
        });
        match reached {
            None => Ok(()),
            Some(limit) => Err(InsertError::Limited(limit)),
        }
    }

    /// Whether another recording (deleted ones included) has the call `call_sid`.
    pub(crate) async fn call_taken(&self, call_sid: &CallSid, except: &RecordingId) -> Result<bool, StoreError> {
        let taken: bool = on_db!(self, |pool, pg| {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM storyline_recordings WHERE call_sid = $1 AND id <> $2)")
                .bind(call_sid.as_str())
                .bind(except.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(taken)
    }

    /// Recordings whose status is one of `statuses` and that have not changed since `before_ms`.
    pub(crate) async fn stale(&self, statuses: &[Status], before_ms: i64) -> Result<Vec<StoredRecording>, StoreError> {
        let mut out = Vec::new();
        for status in statuses {
            let rows: Vec<RecordingRow> = on_db!(self, |pool, pg| {
                sqlx::query_as(concat!(
                    select_recordings!(),
                    " WHERE status = $1 AND updated_at < $2 AND deleted_at IS NULL"
                ))
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
    /// no delivery of it has been tried. `notify` tells the other instances' pages. The flow uses
    /// [`Store::save_after`]; the tests change a recording by version.
    #[cfg(test)]
    pub(crate) async fn save(
        &self,
        id: &RecordingId,
        version: i64,
        recording: &Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
        notify: bool,
    ) -> Result<Saved, StoreError> {
        self.commit(id, version, recording, jobs, event, notify, now_ms()).await
    }

    /// [`Store::save`] of a change made to `read`: on success, the recording as it now is in the database; `None`
    /// when it changed since it was read.
    pub(crate) async fn save_after(
        &self,
        read: &StoredRecording,
        next: Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
        notify: bool,
    ) -> Result<Option<StoredRecording>, StoreError> {
        let now = now_ms();
        let saved = self
            .commit(&read.id, read.version, &next, jobs, event, notify, now)
            .await?;
        // What the UPDATE wrote, column by column.
        Ok((saved == Saved::Saved).then(|| StoredRecording {
            call_sid: next.call_sid().cloned().or_else(|| read.call_sid.clone()),
            updated_at: now,
            finished_at: read.finished_at.or(next.is_final().then_some(now)),
            version: read.version + 1,
            recording: next,
            ..read.clone()
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        id: &RecordingId,
        version: i64,
        recording: &Recording,
        jobs: &[Scheduled],
        event: Option<&NewEvent>,
        notify: bool,
        now: i64,
    ) -> Result<Saved, StoreError> {
        let state = serde_json::to_string(recording).map_err(|e| corrupt("state", e))?;
        self.committer
            .commit(Pending {
                id: id.clone(),
                version,
                status: recording.status().as_str(),
                state,
                call_sid: recording.call_sid().map(|sid| sid.as_str().to_owned()),
                finished: recording.is_final().then_some(now),
                call_seconds: recording.call_duration_secs().map(i64::from),
                now,
                jobs: jobs.to_vec(),
                event: event.cloned(),
                notify,
            })
            .await
    }
}
