//! Background work under leases, and the account's calls per second, both shared by every instance.

use storyline_core::RecordingId;

use super::{Job, Store, StoreError, UnreadableJob, corrupt, now_ms, on_db};

/// A job and when it is due.
#[derive(Debug, Clone)]
pub(crate) struct Scheduled {
    pub job: Job,
    /// Milliseconds since the Unix epoch.
    pub run_at: i64,
}

/// A job this instance now holds.
#[derive(Debug)]
pub(crate) struct DueJob {
    pub id: i64,
    /// How often it was asked for: finishing it finishes only this request of it.
    pub generation: i64,
    pub recording_id: RecordingId,
    pub job: Result<Job, UnreadableJob>,
    /// Attempts that failed so far.
    pub attempts: u32,
    /// When it was due, in milliseconds since the Unix epoch.
    pub run_at: i64,
    /// This claim's lease: renewing, finishing and retrying the job take effect only while it holds the job.
    pub lease: String,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    recording_id: String,
    kind: String,
    payload: String,
    attempts: i64,
    generation: i64,
    run_at: i64,
}

/// Adds `$jobs` for recording `$id` inside transaction `$tx`. A job asked for again keeps the earlier of its two
/// times; a finished one runs again. Every job is safe to repeat, while a job whose result was ignored (its event came
/// before the state it needed) must not be lost.
macro_rules! insert_jobs {
    ($tx:ident, $pg:ident, $id:expr, $jobs:expr) => {
        for s in $jobs {
            sqlx::query(if $pg {
                "INSERT INTO storyline_jobs (recording_id, kind, payload, run_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (recording_id, kind, payload) DO UPDATE SET \
                   run_at = CASE WHEN storyline_jobs.done = 1 THEN excluded.run_at \
                                 ELSE LEAST(storyline_jobs.run_at, excluded.run_at) END, \
                   done = 0, generation = storyline_jobs.generation + 1"
            } else {
                "INSERT INTO storyline_jobs (recording_id, kind, payload, run_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (recording_id, kind, payload) DO UPDATE SET \
                   run_at = CASE WHEN storyline_jobs.done = 1 THEN excluded.run_at \
                                 ELSE MIN(storyline_jobs.run_at, excluded.run_at) END, \
                   done = 0, generation = storyline_jobs.generation + 1"
            })
            .bind($id.as_str())
            .bind(s.job.kind())
            .bind(s.job.payload())
            .bind(s.run_at)
            .execute(&mut *$tx)
            .await?;
        }
    };
}
pub(super) use insert_jobs;

impl Store {
    /// Enqueues work for a recording without touching its state (which only [`Store::save`] writes, from the state
    /// just read).
    pub(crate) async fn enqueue(&self, id: &RecordingId, jobs: &[Scheduled]) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            insert_jobs!(tx, pg, id, jobs);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes up to `limit` jobs due by `due_by` (milliseconds since the Unix epoch) that no instance holds (or whose
    /// holder's lease ran out), oldest first, and holds them for `lease_ms`. On PostgreSQL, instances claiming at the
    /// same moment skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the statement holds the write lock.
    pub(crate) async fn claim_jobs(&self, due_by: i64, limit: i64, lease_ms: i64) -> Result<Vec<DueJob>, StoreError> {
        let now = now_ms();
        // Each claim is its own lease: a job taken over (its holder stalled past the lease) is no longer the first
        // holder's to finish, even on the same instance.
        let lease = format!("{}-{}", self.instance, super::instance_name());
        let rows: Vec<JobRow> = on_db!(self, |pool, pg| {
            sqlx::query_as(if pg {
                "UPDATE storyline_jobs SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
                   SELECT id FROM storyline_jobs \
                   WHERE done = 0 AND run_at <= $3 AND (lease_until IS NULL OR lease_until <= $4) \
                   ORDER BY run_at LIMIT $5 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, recording_id, kind, payload, attempts, generation, run_at"
            } else {
                "UPDATE storyline_jobs SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
                   SELECT id FROM storyline_jobs \
                   WHERE done = 0 AND run_at <= $3 AND (lease_until IS NULL OR lease_until <= $4) \
                   ORDER BY run_at LIMIT $5) \
                 RETURNING id, recording_id, kind, payload, attempts, generation, run_at"
            })
            .bind(&lease)
            .bind(now + lease_ms)
            .bind(due_by)
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut jobs = rows
            .into_iter()
            .map(|r| {
                Ok(DueJob {
                    id: r.id,
                    generation: r.generation,
                    recording_id: r.recording_id.parse().map_err(|e| corrupt("recording_id", e))?,
                    job: Job::from_stored(&r.kind, &r.payload),
                    attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                    run_at: r.run_at,
                    lease: lease.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // `RETURNING` keeps no order.
        jobs.sort_by_key(|j| j.run_at);
        Ok(jobs)
    }

    /// Keeps holding a job for `lease_ms` from now, if this claim still holds it (even past its lease, as long as no
    /// one took it over). `false`: it was taken over.
    pub(crate) async fn renew_lease(&self, id: i64, lease: &str, lease_ms: i64) -> Result<bool, StoreError> {
        let renewed = on_db!(self, |pool, pg| {
            sqlx::query("UPDATE storyline_jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND done = 0")
                .bind(now_ms() + lease_ms)
                .bind(id)
                .bind(lease)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(renewed == 1)
    }

    /// Marks a job done, unless it was asked for again since it was claimed (then it runs again), and lets it go.
    pub(crate) async fn finish_job(&self, job: &DueJob) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query(
                "UPDATE storyline_jobs SET done = CASE WHEN generation = $1 THEN 1 ELSE done END, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3",
            )
            .bind(job.generation)
            .bind(job.id)
            .bind(&job.lease)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a failed attempt and when to try again, and lets the job go.
    pub(crate) async fn retry_job(&self, job: &DueJob, run_at: i64, error: &str) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query(
                "UPDATE storyline_jobs SET attempts = attempts + 1, run_at = $1, last_error = $2, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
            )
            .bind(run_at)
            .bind(error)
            .bind(job.id)
            .bind(&job.lease)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Counts the first attempt of a job that must never be carried out twice (placing a call), if this claim still
    /// holds it: `false` when it was attempted before (by an instance that then stopped) or taken over.
    pub(crate) async fn first_attempt(&self, job: &DueJob) -> Result<bool, StoreError> {
        let marked = on_db!(self, |pool, pg| {
            sqlx::query(
                "UPDATE storyline_jobs SET attempts = attempts + 1 WHERE id = $1 AND lease_owner = $2 AND attempts = 0",
            )
            .bind(job.id)
            .bind(&job.lease)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(marked == 1)
    }

    /// Enqueues work a recording's state still owes (looked for at start-up and when calls are quiet): a job that is
    /// missing or finished is asked for; one already waiting or running is left as it is, its time and its run.
    pub(crate) async fn enqueue_owed(&self, id: &RecordingId, jobs: &[Scheduled]) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            for s in jobs {
                sqlx::query(
                    "INSERT INTO storyline_jobs (recording_id, kind, payload, run_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (recording_id, kind, payload) DO UPDATE SET run_at = excluded.run_at, done = 0, \
                       generation = storyline_jobs.generation + 1 \
                     WHERE storyline_jobs.done = 1",
                )
                .bind(id.as_str())
                .bind(s.job.kind())
                .bind(s.job.payload())
                .bind(s.run_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets what is no longer needed: client addresses older than the limit windows (`addresses_before`, ms since
    /// the Unix epoch) and finished jobs older than `jobs_before`. Safe on any number of instances at once. Returns
    /// (addresses dropped, jobs purged).
    pub(crate) async fn forget(&self, addresses_before: i64, jobs_before: i64) -> Result<(u64, u64), StoreError> {
        on_db!(self, |pool, pg| {
            let addresses = sqlx::query(
                "UPDATE storyline_recordings SET address = NULL WHERE address IS NOT NULL AND created_at < $1",
            )
            .bind(addresses_before)
            .execute(pool)
            .await?
            .rows_affected();
            let jobs = sqlx::query("DELETE FROM storyline_jobs WHERE done = 1 AND run_at < $1")
                .bind(jobs_before)
                .execute(pool)
                .await?
                .rows_affected();
            // A deleted story's number digest, once no limit counts it.
            sqlx::query("UPDATE storyline_recordings SET phone = '' WHERE deleted_at < $1 AND phone <> ''")
                .bind(now_ms() - super::recordings::DELETED_NUMBER_KEPT_MS)
                .execute(pool)
                .await?;
            Ok((addresses, jobs))
        })
    }

    /// Reserves the next moment at which a call may be placed, `interval_ms` after the one before, for every
    /// instance on this database: unless it is more than `at_most_ms` away (then nothing is reserved). An idle pacer
    /// saves up no turns. Returns the moment, in milliseconds since the Unix epoch.
    pub(crate) async fn take_turn(&self, interval_ms: i64, at_most_ms: i64) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        let turn: Option<i64> = on_db!(self, |pool, pg| {
            sqlx::query_scalar(if pg {
                "UPDATE storyline_pacer SET next_at = GREATEST(next_at, $1) + $2 \
                 WHERE id = 1 AND GREATEST(next_at, $1) <= $1 + $3 RETURNING next_at - $2"
            } else {
                "UPDATE storyline_pacer SET next_at = MAX(next_at, $1) + $2 \
                 WHERE id = 1 AND MAX(next_at, $1) <= $1 + $3 RETURNING next_at - $2"
            })
            .bind(now)
            .bind(interval_ms)
            .bind(at_most_ms)
            .fetch_optional(pool)
            .await?
        });
        Ok(turn)
    }
}
