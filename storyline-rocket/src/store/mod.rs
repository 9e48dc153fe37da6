//! Every SQL statement, on SQLite (in the data directory, or a pool the host service gives) or PostgreSQL
//! (`STORYLINE_DATABASE_URL`, or the host's pool), with migrations applied at start-up. Functions take and return
//! typed values; only this module knows the tables.
//!
//! Each statement is written once, in the SQL both databases speak (`$1` parameters, `ON CONFLICT`, `RETURNING`),
//! and compiled for each ([`on_db!`]); the few words that differ are chosen beside it.
//!
//! Nothing here holds a lock inside the process: every instance on the same database sees the same recordings, jobs,
//! limits and pacing.
//! - A recording's change is checked against the version it was made from ([`Store::save`]): two instances changing
//!   one recording at once both take effect, one after the other.
//! - A job is held under a lease ([`Store::claim_jobs`]): it runs on one instance at a time, and a job held by an
//!   instance that died is taken over when its lease runs out.
//! - A state change is committed here before the webhook is answered, together with the background work it starts
//!   and the event it raises, in one transaction (with others, [`group`]); on PostgreSQL the other instances are then
//!   told (`NOTIFY`).

mod audio;
mod events;
mod group;
mod job;
mod recent;
mod recordings;
mod work;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use storyline_core::RecordingId;

pub(crate) use audio::{AudioBody, AudioFacts, AudioFiles, AudioStoreError, check_wav};
pub(crate) use events::{Claim, NewEvent};
pub(crate) use job::{Job, UnreadableJob};
pub(crate) use recent::Recent;
pub(crate) use recordings::{
    CallLimits, DAY_MS, InsertError, LIMIT_WINDOW_MS, Limit, NewRecording, Saved, StoredRecording,
};
pub(crate) use work::{DueJob, Scheduled};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A row holds what this version cannot read.
    #[error("unreadable row: {0}")]
    Corrupt(String),
    /// The commit holding a change failed, or could not be made: the change is not saved.
    #[error("commit failed: {0}")]
    Commit(String),
}

/// A database a host service already has: Storyline's tables and migrations go beside the host's own.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum HostPool {
    /// A SQLite database.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

impl From<SqlitePool> for HostPool {
    fn from(pool: SqlitePool) -> Self {
        HostPool::Sqlite(pool)
    }
}

impl From<PgPool> for HostPool {
    fn from(pool: PgPool) -> Self {
        HostPool::Postgres(pool)
    }
}

/// The database behind the store.
#[derive(Debug, Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, once compiled for each database, and `$pg` telling which.
macro_rules! on_db {
    ($store:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $pg = false;
                $body
            }
            $crate::store::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $pg = true;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// The database: cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    db: Db,
    /// This instance, as leases and notifications name it.
    instance: String,
    /// Where recordings' changes are committed, in groups.
    committer: group::Committer,
}

/// Why the store could not be opened: one line, naming the setting to look at.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// `STORYLINE_DATABASE_URL` is not a database URL Storyline knows.
    #[error(
        "STORYLINE_DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database) or a SQLite URL \
         (sqlite:///path/to/file), or unset for SQLite in the data directory; it is {0:?}"
    )]
    Url(String),
    /// The database could not be reached or refused us.
    #[error("{setting}: cannot open the database at {place}: {source}")]
    Connect {
        setting: &'static str,
        place: String,
        #[source]
        source: sqlx::Error,
    },
    /// The migrations failed.
    #[error("{setting}: cannot bring the database at {place} up to date: {source}")]
    Migrate {
        setting: &'static str,
        place: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A name for this process, unique enough among the instances sharing a database.
fn instance_name() -> String {
    let mut bytes = [0u8; 8];
    // Without randomness, the clock and the process id still tell instances apart.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = (now_ms() ^ i64::from(std::process::id())).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL can lose the last commits on power loss but never on a process crash; FULL keeps them.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
}

/// Where a PostgreSQL URL points, without its password.
fn pg_place(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

impl Store {
    /// Opens the database the settings name (`database_url`), or SQLite in `data_dir` when none is named, and brings
    /// its schema up to date.
    pub(crate) async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Store, OpenError> {
        const SETTING: &str = "STORYLINE_DATABASE_URL";
        let Some(url) = database_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Store::open(data_dir).await;
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| OpenError::Url(redact_url(url)))?;
            let place = pg_place(&options);
            // One connection first: its error says what is wrong (refused, no such database, bad password), where the
            // pool's would only say it timed out.
            let probe = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(&options))
                .await
                .unwrap_or(Err(sqlx::Error::PoolTimedOut))
                .map_err(|source| OpenError::Connect {
                    setting: SETTING,
                    place: place.clone(),
                    source,
                })?;
            let _ = probe.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                // No round trip to test a connection before each use: one that broke fails its statement, and the
                // pool then drops it.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|source| OpenError::Connect {
                    setting: SETTING,
                    place: place.clone(),
                    source,
                })?;
            return Store::migrate(Db::Postgres(pool), "storyline_migrations", SETTING, place).await;
        }
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).map_err(|_| OpenError::Url(redact_url(url)))?;
            let place = options.get_filename().display().to_string();
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(sqlite_options(options))
                .await
                .map_err(|source| OpenError::Connect {
                    setting: SETTING,
                    place: place.clone(),
                    source,
                })?;
            return Store::migrate(Db::Sqlite(pool), "_sqlx_migrations", SETTING, place).await;
        }
        Err(OpenError::Url(redact_url(url)))
    }

    /// Opens (creating if needed) the SQLite database in `data_dir` and brings its schema up to date.
    pub(crate) async fn open(data_dir: &Path) -> Result<Store, OpenError> {
        const SETTING: &str = "STORYLINE_DATA_DIR";
        let path = data_dir.join("storyline.sqlite3");
        let place = path.display().to_string();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A file in the data directory does not drop its connections: no round trip to test one before each use.
            .test_before_acquire(false)
            .connect_with(sqlite_options(SqliteConnectOptions::new().filename(&path)))
            .await
            .map_err(|source| OpenError::Connect {
                setting: SETTING,
                place: place.clone(),
                source,
            })?;
        Store::migrate(Db::Sqlite(pool), "_sqlx_migrations", SETTING, place).await
    }

    /// Uses a pool the host service made, bringing Storyline's tables in it up to date. Storyline keeps its own
    /// record of migrations (`storyline_migrations`), apart from the host's (`_sqlx_migrations`).
    pub(crate) async fn with_host_pool(pool: HostPool) -> Result<Store, OpenError> {
        let db = match pool {
            HostPool::Sqlite(p) => Db::Sqlite(p),
            HostPool::Postgres(p) => Db::Postgres(p),
        };
        Store::migrate(
            db,
            "storyline_migrations",
            "the host's pool",
            "the host's database".into(),
        )
        .await
    }

    /// Applies the migrations of the store's database. On PostgreSQL, instances starting together take turns (sqlx
    /// holds an advisory lock while it migrates).
    async fn migrate(db: Db, table: &'static str, setting: &'static str, place: String) -> Result<Store, OpenError> {
        let result = match &db {
            Db::Sqlite(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/sqlite");
                migrator.dangerous_set_table_name(table);
                migrator.run(pool).await
            }
            Db::Postgres(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/postgres");
                migrator.dangerous_set_table_name(table);
                migrator.run(pool).await
            }
        };
        result.map_err(|source| OpenError::Migrate { setting, place, source })?;
        Ok(Store::new(db, instance_name()))
    }

    /// The store of instance `instance` on `db`, with its committer running.
    fn new(db: Db, instance: String) -> Store {
        Store {
            committer: group::Committer::start(db.clone(), instance.clone()),
            db,
            instance,
        }
    }

    /// The same database seen as another instance would see it, for the tests.
    #[cfg(test)]
    pub(crate) fn as_instance(&self, name: &str) -> Store {
        Store::new(self.db.clone(), name.into())
    }

    /// Which database this is, for the start-up message.
    pub(crate) fn describe(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// Whether the database answers.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, |pool, pg| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Calls `changed` for every recording another instance changed, as PostgreSQL tells of them; returns at once on
    /// SQLite, where one instance is all there is. The connection is made again whenever it drops (changes made
    /// meanwhile reach the pages by their polling).
    pub(crate) async fn follow_changes(&self, changed: impl Fn(RecordingId) + Send + 'static) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        // A connection of its own, outside the pool (a host's pool may be small): the listener holds it for good.
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with((*pool.connect_options()).clone());
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&own).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!("listening for other instances' changes failed, trying again: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(recordings::CHANNEL).await {
                tracing::warn!("listening for other instances' changes failed, trying again: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        if let Some((from, id)) = n.payload().split_once(':')
                            && from != self.instance
                            && let Ok(id) = id.parse()
                        {
                            changed(id);
                        }
                    }
                    Err(e) => {
                        tracing::warn!("the connection telling of other instances' changes dropped: {e}");
                        break;
                    }
                }
            }
        }
    }
}

/// A database URL as it may be shown: without its password.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Stores for the tests: a fresh SQLite file, or a fresh schema on the PostgreSQL at `STORYLINE_TEST_POSTGRES`
    //! (default `postgres://postgres@127.0.0.1:5432/test`).

    use super::*;

    /// The PostgreSQL the tests use.
    pub(crate) fn postgres_url() -> String {
        std::env::var("STORYLINE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    /// A new empty schema on the test PostgreSQL, as a URL whose connections use it.
    pub(crate) async fn fresh_postgres() -> String {
        let base = postgres_url();
        let schema = format!("t_{}", instance_name());
        let pool = PgPool::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("the tests need PostgreSQL at {base} (STORYLINE_TEST_POSTGRES): {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .expect("a schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{schema}")
    }

    /// One store of each kind, each fresh: (name, store, the directory holding the SQLite file).
    pub(crate) async fn both() -> Vec<(&'static str, Store, tempfile::TempDir)> {
        let dir = tempfile::tempdir().expect("a data directory");
        let sqlite = Store::open(dir.path()).await.expect("SQLite opens");
        let pg_dir = tempfile::tempdir().expect("a data directory");
        let pg = Store::connect(Some(&fresh_postgres().await), pg_dir.path())
            .await
            .expect("PostgreSQL opens");
        vec![("sqlite", sqlite, dir), ("postgres", pg, pg_dir)]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use storyline_core::recording::Event;
    use storyline_core::{CallSid, RecordingSid};

    use super::recordings::Budget;
    use super::testing::{both, fresh_postgres};
    use super::*;

    fn new_recording(byte: u8) -> NewRecording {
        NewRecording {
            id: RecordingId::from_bytes([byte; 16]),
            phone: "+12015550100".parse().expect("a number"),
            phone_display: "201-555-0100".into(),
            reference: None,
            prompt: None,
            owner: None,
        }
    }

    /// The hourly limits only, as most tests need them.
    fn hourly(per_number: u32, per_address: u32) -> CallLimits {
        CallLimits {
            number_per_hour: per_number,
            address_per_hour: per_address,
            ..CallLimits::default()
        }
    }

    /// Changes a stored recording behind the store's back, as time and its call would have.
    async fn set_recording(store: &Store, id: &RecordingId, set: &str) {
        let sql = format!("UPDATE storyline_recordings SET {set} WHERE id = $1");
        on_db!(store, |pool, pg| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id.as_str())
                .execute(pool)
                .await
                .expect("updated");
        });
    }

    async fn with_a_recording(store: &Store) -> RecordingId {
        let new = new_recording(3);
        store
            .insert_within_limits(&new, None, &hourly(0, 0))
            .await
            .expect("inserted");
        new.id
    }

    #[tokio::test]
    async fn changes_committed_together_keep_their_own_outcomes() {
        for (name, store, _dir) in both().await {
            let ids: Vec<RecordingId> = (0..24u8).map(|n| RecordingId::from_bytes([100 + n; 16])).collect();
            for id in &ids {
                let mut new = new_recording(0);
                new.id = id.clone();
                store
                    .insert_within_limits(&new, None, &hourly(0, 0))
                    .await
                    .expect("inserted");
            }
            let event = |id: &str, kind: &'static str| NewEvent {
                id: id.into(),
                kind,
                created: 1,
                body: "{}".into(),
                deliver_at: i64::MAX,
            };
            // An event already stored for the first recording, whose id a later change reuses: that change's insert
            // fails, as any statement may.
            let first = store.get(&ids[0]).await.expect("read").expect("there");
            let taken = event("evt_taken", "story.completed");
            store
                .save(&ids[0], first.version, &first.recording, &[], Some(&taken), false)
                .await
                .expect("saved");
            let reads: Vec<StoredRecording> = futures_util::future::join_all(ids.iter().map(|id| store.get(id)))
                .await
                .into_iter()
                .map(|r| r.expect("read").expect("there"))
                .collect();
            // Every change at once, so they meet in groups: one per recording, the second recording's twice from the
            // same version, and the third's with the reused event id.
            let poisoned = event("evt_taken", "story.failed");
            let outcomes =
                futures_util::future::join_all(reads.iter().chain(std::iter::once(&reads[1])).enumerate().map(
                    |(n, read)| {
                        let store = store.clone();
                        let poisoned = poisoned.clone();
                        async move {
                            let event = (n == 2).then_some(&poisoned);
                            store
                                .save(&read.id, read.version, &read.recording, &[delete_job()], event, true)
                                .await
                        }
                    },
                ))
                .await;
            assert!(outcomes[2].is_err(), "{name}: the failing change is refused");
            let twice = [&outcomes[1], &outcomes[ids.len()]];
            assert_eq!(
                twice.iter().filter(|o| matches!(o, Ok(Saved::Saved))).count(),
                1,
                "{name}: of two changes from one version, one is saved: {twice:?}"
            );
            assert_eq!(
                twice.iter().filter(|o| matches!(o, Ok(Saved::Conflict))).count(),
                1,
                "{name}: and the other meets a conflict"
            );
            for (n, read) in reads.iter().enumerate() {
                let now = store.get(&read.id).await.expect("read").expect("there");
                let expected = if n == 2 { read.version } else { read.version + 1 };
                assert_eq!(now.version, expected, "{name}: recording {n} as its own change left it");
                if n != 1 && n != 2 {
                    assert!(matches!(outcomes[n], Ok(Saved::Saved)), "{name}: change {n} saved");
                }
            }
        }
    }

    fn delete_job() -> Scheduled {
        Scheduled {
            job: Job::DeleteTwilioRecording {
                recording_sid: RecordingSid::from_bytes([4; 16]),
            },
            run_at: 0,
        }
    }

    #[tokio::test]
    async fn a_job_asked_for_again_while_it_runs_runs_again() {
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            let job = delete_job();
            store.enqueue(&id, std::slice::from_ref(&job)).await.expect("enqueued");
            let running = store
                .claim_jobs(now_ms(), 10, 60_000)
                .await
                .expect("due")
                .pop()
                .expect("due");
            // Asked for again (a webhook needs it again) while the first run is under way.
            store
                .enqueue(&id, std::slice::from_ref(&job))
                .await
                .expect("enqueued again");
            store.finish_job(&running).await.expect("finished");
            let again = store
                .claim_jobs(now_ms(), 10, 60_000)
                .await
                .expect("due")
                .pop()
                .unwrap_or_else(|| panic!("{name}: the second request still runs"));
            assert_eq!(again.id, running.id);
            store.finish_job(&again).await.expect("finished");
            assert!(
                store.claim_jobs(now_ms(), 10, 60_000).await.expect("due").is_empty(),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_held_job_runs_on_one_instance_until_its_lease_runs_out() {
        // Leases of a second: what must still be held is checked well inside one, so a slow machine cannot fail it.
        const LEASE: i64 = 1000;
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            store.enqueue(&id, &[delete_job()]).await.expect("enqueued");
            // Another instance on the same database.
            let other = store.as_instance("other");
            let claim = |s: &Store| {
                let s = s.clone();
                async move { s.claim_jobs(now_ms(), 10, LEASE).await.expect("claimed") }
            };
            let held = claim(&store).await.pop().expect("a job");
            assert!(claim(&other).await.is_empty(), "{name}: held");
            // Renewed while it runs, it stays held, even when a renewal comes after the lease ran out.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            assert!(
                store.renew_lease(held.id, &held.lease, LEASE).await.expect("renewed"),
                "{name}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(claim(&other).await.is_empty(), "{name}: renewed");
            // Its instance died: once the lease runs out, the other takes it over.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let taken = claim(&other).await.pop().expect("taken over");
            // The dead instance's late word changes nothing, on this instance or any: the new holder's does.
            assert!(
                !store.renew_lease(held.id, &held.lease, LEASE).await.expect("asked"),
                "{name}: taken over"
            );
            assert!(
                !store.first_attempt(&held).await.expect("asked"),
                "{name}: not the first holder's to try"
            );
            store.finish_job(&held).await.expect("a late finish");
            assert!(
                other.renew_lease(taken.id, &taken.lease, LEASE).await.expect("renewed"),
                "{name}: still held"
            );
            other.finish_job(&taken).await.expect("finished");
            assert!(claim(&store).await.is_empty(), "{name}: done");
        }
    }

    #[tokio::test]
    async fn a_call_is_tried_once_even_when_its_job_is_taken_over() {
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            let call = Scheduled {
                job: Job::PlaceCall { at: now_ms() },
                run_at: 0,
            };
            store.enqueue(&id, &[call]).await.expect("enqueued");
            let first = store
                .claim_jobs(now_ms(), 10, 200)
                .await
                .expect("claimed")
                .pop()
                .expect("a job");
            assert!(
                store.first_attempt(&first).await.expect("marked"),
                "{name}: the first try"
            );
            // The instance stops right after asking Twilio; another takes the job over and must not ask again.
            tokio::time::sleep(Duration::from_millis(250)).await;
            let other = store.as_instance("other");
            let second = other
                .claim_jobs(now_ms(), 10, 200)
                .await
                .expect("claimed")
                .pop()
                .expect("taken over");
            assert!(
                !other.first_attempt(&second).await.expect("asked"),
                "{name}: never a second try"
            );
        }
    }

    #[tokio::test]
    async fn client_addresses_and_finished_jobs_are_forgotten_when_no_longer_needed() {
        for (name, store, _dir) in both().await {
            let new = new_recording(7);
            store
                .insert_within_limits(&new, Some("203.0.113.7"), &hourly(0, 1))
                .await
                .expect("inserted");
            store.enqueue(&new.id, &[delete_job()]).await.expect("enqueued");
            let job = store
                .claim_jobs(now_ms(), 10, 1000)
                .await
                .expect("claimed")
                .pop()
                .expect("a job");
            store.finish_job(&job).await.expect("finished");
            // Within the window, the address still counts and the job is kept.
            assert_eq!(store.forget(0, 0).await.expect("forgot"), (0, 0), "{name}");
            let other = NewRecording {
                id: RecordingId::from_bytes([8; 16]),
                phone: "+12015550111".parse().expect("a number"),
                ..new.clone()
            };
            assert!(matches!(
                store
                    .insert_within_limits(&other, Some("203.0.113.7"), &hourly(0, 1))
                    .await,
                Err(InsertError::Limited(Limit::Address))
            ));
            // Past it, the address is dropped (and no longer counts), and the finished job purged.
            let later = now_ms() + 1000;
            assert_eq!(store.forget(later, later).await.expect("forgot"), (1, 1), "{name}");
            store
                .insert_within_limits(&other, Some("203.0.113.7"), &hourly(0, 1))
                .await
                .unwrap_or_else(|e| panic!("{name}: the address was forgotten: {e}"));
        }
    }

    #[tokio::test]
    async fn work_owed_after_a_restart_leaves_waiting_and_running_jobs_as_they_are() {
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            let later = Scheduled {
                run_at: now_ms() + 60_000,
                ..delete_job()
            };
            store
                .enqueue(&id, std::slice::from_ref(&later))
                .await
                .expect("enqueued");
            // Another instance starts and finds the same work owed: the backoff stands.
            store.enqueue_owed(&id, &[delete_job()]).await.expect("owed");
            assert!(
                store.claim_jobs(now_ms(), 10, 1000).await.expect("claimed").is_empty(),
                "{name}: still waiting"
            );
            let soon = store
                .claim_jobs(now_ms() + 61_000, 10, 1000)
                .await
                .expect("claimed")
                .pop()
                .expect("due later");
            assert_eq!(soon.generation, 0, "{name}: not asked for again");
            store.finish_job(&soon).await.expect("finished");
            // Once done, work still owed is asked for again.
            store.enqueue_owed(&id, &[delete_job()]).await.expect("owed");
            assert_eq!(
                store.claim_jobs(now_ms(), 10, 1000).await.expect("claimed").len(),
                1,
                "{name}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn instances_claiming_at_once_never_share_a_job() {
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            let jobs: Vec<Scheduled> = (0..40)
                .map(|n| Scheduled {
                    job: Job::DeliverEvent {
                        event_id: format!("evt_{n}"),
                    },
                    run_at: 0,
                })
                .collect();
            store.enqueue(&id, &jobs).await.expect("enqueued");
            let claimers = (0..4)
                .map(|n| {
                    let instance = store.as_instance(&format!("instance-{n}"));
                    tokio::spawn(async move {
                        let mut mine = Vec::new();
                        for _ in 0..20 {
                            mine.extend(
                                instance
                                    .claim_jobs(now_ms(), 3, 60_000)
                                    .await
                                    .expect("claimed")
                                    .into_iter()
                                    .map(|j| j.id),
                            );
                        }
                        mine
                    })
                })
                .collect::<Vec<_>>();
            let mut all = Vec::new();
            for c in claimers {
                all.extend(c.await.expect("a claimer"));
            }
            let count = all.len();
            all.sort_unstable();
            all.dedup();
            assert_eq!((count, all.len()), (40, 40), "{name}: every job claimed exactly once");
        }
    }

    #[tokio::test]
    async fn a_change_made_from_an_old_version_is_refused_and_writes_nothing() {
        for (name, store, _dir) in both().await {
            let id = with_a_recording(&store).await;
            let read = store.get(&id).await.expect("read").expect("there");
            let placed = read
                .recording
                .apply(&Event::CallPlaced {
                    call_sid: storyline_core::CallSid::from_bytes([5; 16]),
                })
                .expect("a transition")
                .recording;
            // Two instances made a change from the same version: the first wins, the second is told to read again.
            let first = store
                .save(&id, read.version, &placed, &[delete_job()], None, true)
                .await
                .expect("saved");
            let second = store
                .save(&id, read.version, &placed, &[delete_job()], None, true)
                .await
                .expect("saved");
            assert_eq!((first, second), (Saved::Saved, Saved::Conflict), "{name}");
            let now = store.get(&id).await.expect("read").expect("there");
            assert_eq!(now.version, read.version + 1, "{name}: written once");
            let jobs = store.claim_jobs(now_ms(), 10, 1000).await.expect("claimed");
            assert_eq!(
                (jobs.len(), jobs[0].generation),
                (1, 0),
                "{name}: the refused change added no work"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_hourly_limits_hold_for_requests_at_once() {
        for (name, store, _dir) in both().await {
            let store = Arc::new(store);
            // Every request on its own connection, all let go at once.
            let pings = (0..12)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move { store.ping().await })
                })
                .collect::<Vec<_>>();
            for p in pings {
                p.await.expect("a ping").expect("the database answers");
            }
            // Twelve requests for one number from different addresses, then twelve for different numbers from one
            // address: each limit lets exactly its share through.
            for (limit, per_number, per_address) in [(Limit::Number, 3, 0), (Limit::Address, 0, 3)] {
                let start = Arc::new(tokio::sync::Barrier::new(12));
                let tries = (0..12u8)
                    .map(|n| {
                        let (store, start) = (store.clone(), start.clone());
                        let mut new = new_recording(n + if limit == Limit::Address { 100 } else { 0 });
                        let address = match limit {
                            Limit::Number => format!("203.0.113.{n}"),
                            _ => {
                                new.phone = format!("+1201555{:04}", 200 + u32::from(n)).parse().expect("a number");
                                "198.51.100.7".to_owned()
                            }
                        };
                        tokio::spawn(async move {
                            start.wait().await;
                            store
                                .insert_within_limits(&new, Some(&address), &hourly(per_number, per_address))
                                .await
                        })
                    })
                    .collect::<Vec<_>>();
                let mut inserted = 0;
                for t in tries {
                    match t.await.expect("a request") {
                        Ok(()) => inserted += 1,
                        Err(InsertError::Limited(l)) if l == limit => {}
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
                assert_eq!(inserted, 3, "{name}: exactly the {limit:?} limit's share");
            }
        }
    }

    fn to_number(byte: u8, phone: &str) -> NewRecording {
        NewRecording {
            phone: phone.parse().expect("a number"),
            ..new_recording(byte)
        }
    }

    #[tokio::test]
    async fn a_number_has_a_daily_share_and_rests_a_day_after_calls_nobody_answered() {
        for (name, store, _dir) in both().await {
            let limits = CallLimits {
                number_per_day: 3,
                unanswered_in_a_row: 2,
                ..CallLimits::default()
            };
            let now = now_ms();
            // Three answered calls to one number, two hours ago: the day's share is spent, the hour's is not counted.
            for b in 10..13 {
                let new = to_number(b, "+12015550120");
                store.insert_within_limits(&new, None, &limits).await.expect("inserted");
                set_recording(
                    &store,
                    &new.id,
                    &format!(
                        "status = 'complete', created_at = {}, finished_at = {}",
                        now - 2 * LIMIT_WINDOW_MS,
                        now - 2 * LIMIT_WINDOW_MS
                    ),
                )
                .await;
            }
            let fourth = to_number(13, "+12015550120");
            assert!(
                matches!(
                    store.insert_within_limits(&fourth, None, &limits).await,
                    Err(InsertError::Limited(Limit::NumberDaily))
                ),
                "{name}: the day's share is spent"
            );
            // A day later the oldest no longer counts.
            set_recording(
                &store,
                &RecordingId::from_bytes([10; 16]),
                &format!("created_at = {}", now - DAY_MS - 1000),
            )
            .await;
            store
                .insert_within_limits(&fourth, None, &limits)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));

            // Two calls in a row nobody answered: the number rests for a day after the second.
            let mut unanswered = Vec::new();
            for (b, status) in [(20, "no_answer"), (21, "busy")] {
                let new = to_number(b, "+12015550121");
                store.insert_within_limits(&new, None, &limits).await.expect("inserted");
                set_recording(
                    &store,
                    &new.id,
                    &format!(
                        "status = '{status}', created_at = {}, finished_at = {}",
                        now - 60_000 + i64::from(b),
                        now - 30_000 + i64::from(b)
                    ),
                )
                .await;
                unanswered.push(new.id);
            }
            let third = to_number(22, "+12015550121");
            match store.insert_within_limits(&third, None, &limits).await {
                Err(InsertError::Limited(Limit::Unanswered { until_ms })) => {
                    assert_eq!(
                        until_ms,
                        now - 30_000 + 21 + DAY_MS,
                        "{name}: a day after the last unanswered call"
                    )
                }
                other => panic!("{name}: the number should rest: {other:?}"),
            }
            // Answered last time (even if nothing was told): no rest.
            set_recording(&store, &unanswered[1], "status = 'hung_up'").await;
            store
                .insert_within_limits(&third, None, &limits)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[tokio::test]
    async fn the_service_budget_counts_call_minutes_billed_and_going_on() {
        for (name, store, _dir) in both().await {
            let limits = CallLimits {
                service_minutes_per_hour: 3,
                call_seconds_at_most: 600,
                ..CallLimits::default()
            };
            let now = now_ms();
            let first = to_number(30, "+12015550130");
            store
                .insert_within_limits(&first, None, &limits)
                .await
                .expect("inserted");
            // Two minutes and five seconds bill as three minutes.
            set_recording(
                &store,
                &first.id,
                &format!("call_sid = 'CA{:032}', finished_at = {now}, call_seconds = 125", 30),
            )
            .await;
            let second = to_number(31, "+12015550131");
            assert!(
                matches!(
                    store.insert_within_limits(&second, None, &limits).await,
                    Err(InsertError::Limited(Limit::Service(Budget::MinutesPerHour)))
                ),
                "{name}: three minutes spent"
            );
            set_recording(&store, &first.id, "call_seconds = 60").await;
            store
                .insert_within_limits(&second, None, &limits)
                .await
                .expect("one minute spent");
            // A call going on for a minute and a half counts two minutes so far.
            set_recording(
                &store,
                &second.id,
                &format!("call_sid = 'CA{:032}', created_at = {}", 31, now - 90_000),
            )
            .await;
            let third = to_number(32, "+12015550132");
            assert!(
                matches!(
                    store.insert_within_limits(&third, None, &limits).await,
                    Err(InsertError::Limited(Limit::Service(Budget::MinutesPerHour)))
                ),
                "{name}: the call going on counts"
            );
        }
    }

    #[tokio::test]
    async fn a_deleted_story_reads_as_gone_keeps_its_call_and_still_counts_for_its_number() {
        for (name, store, _dir) in both().await {
            let limits = hourly(1, 0);
            let new = to_number(50, "+12015550150");
            store
                .insert_within_limits(&new, Some("192.0.2.50"), &limits)
                .await
                .expect("inserted");
            let call = CallSid::from_bytes([50; 16]);
            set_recording(&store, &new.id, &format!("call_sid = '{call}'")).await;
            let stored = store.get(&new.id).await.expect("read").expect("there");
            let other = RecordingId::from_bytes([51; 16]);
            assert!(!store.is_deleted(&new.id).await.expect("asked"), "{name}");
            assert!(store.call_taken(&call, &other).await.expect("asked"), "{name}");
            assert!(
                !store.call_taken(&call, &new.id).await.expect("asked"),
                "{name}: its own call"
            );

            // A change since it was read: the deletion is decided again.
            set_recording(&store, &new.id, "version = version + 1").await;
            assert_eq!(
                store.delete_story(&stored, &[], None).await.expect("asked"),
                Saved::Conflict,
                "{name}"
            );
            let stored = store.get(&new.id).await.expect("read").expect("there");
            assert_eq!(
                store.delete_story(&stored, &[], None).await.expect("deleted"),
                Saved::Saved,
                "{name}"
            );
            assert!(
                store.get(&new.id).await.expect("read").is_none(),
                "{name}: it reads as gone"
            );
            assert!(store.is_deleted(&new.id).await.expect("asked"), "{name}");
            assert_eq!(
                store.delete_story(&stored, &[], None).await.expect("asked"),
                Saved::Conflict,
                "{name}: once"
            );
            // Its call stays its own, and its number still counts for the hour's limit.
            assert!(store.call_taken(&call, &other).await.expect("asked"), "{name}");
            let again = to_number(52, "+12015550150");
            assert!(
                matches!(
                    store.insert_within_limits(&again, None, &limits).await,
                    Err(InsertError::Limited(Limit::Number))
                ),
                "{name}: deleting a story does not give its number's calls back"
            );
            let from_there = to_number(53, "+12015550153");
            assert!(
                matches!(
                    store
                        .insert_within_limits(&from_there, Some("192.0.2.50"), &hourly(0, 1))
                        .await,
                    Err(InsertError::Limited(Limit::Address))
                ),
                "{name}: nor its address's"
            );
        }
    }

    #[tokio::test]
    async fn the_service_budget_holds_for_requests_at_once_from_everywhere() {
        for (name, store, _dir) in both().await {
            let store = Arc::new(store);
            let limits = CallLimits {
                service_calls_per_hour: 3,
                ..CallLimits::default()
            };
            let start = Arc::new(tokio::sync::Barrier::new(12));
            let tries = (0..12u8)
                .map(|n| {
                    let (store, start) = (store.clone(), start.clone());
                    let new = to_number(40 + n, &format!("+1201555{:04}", 300 + u32::from(n)));
                    tokio::spawn(async move {
                        start.wait().await;
                        store
                            .insert_within_limits(&new, Some(&format!("192.0.2.{n}")), &limits)
                            .await
                    })
                })
                .collect::<Vec<_>>();
            let mut inserted = 0;
            for t in tries {
                match t.await.expect("a request") {
                    Ok(()) => inserted += 1,
                    Err(InsertError::Limited(Limit::Service(Budget::CallsPerHour))) => {}
                    Err(e) => panic!("{name}: {e}"),
                }
            }
            assert_eq!(inserted, 3, "{name}: exactly the budget");
        }
    }

    #[tokio::test]
    async fn turns_are_spaced_across_instances_and_refused_beyond_the_longest_wait() {
        for (name, store, _dir) in both().await {
            let other = store.as_instance("other");
            let mut turns = Vec::new();
            let asked = now_ms();
            for n in 0..4 {
                let s = if n % 2 == 0 { &store } else { &other };
                turns.push(s.take_turn(1000, 3500).await.expect("a turn").expect("within the wait"));
            }
            // Measured from the asking, not from after four round trips on a machine that may be busy.
            assert!(
                (0..200).contains(&(turns[0] - asked)),
                "{name}: the first call goes at once"
            );
            for pair in turns.windows(2) {
                assert_eq!(pair[1] - pair[0], 1000, "{name}");
            }
            // Beyond the longest wait nothing is reserved: the next turn that fits follows directly.
            assert_eq!(store.take_turn(1000, 3500).await.expect("asked"), None, "{name}");
            let next = other
                .take_turn(1000, 10_000)
                .await
                .expect("a turn")
                .expect("within the wait");
            assert_eq!(next - turns[3], 1000, "{name}");
        }
    }

    #[tokio::test]
    async fn an_idle_pacer_saves_up_no_turns() {
        for (name, store, _dir) in both().await {
            let _first = store.take_turn(50, 1000).await.expect("a turn");
            tokio::time::sleep(Duration::from_millis(150)).await;
            let a = store.take_turn(50, 1000).await.expect("a turn").expect("a turn");
            let b = store.take_turn(50, 1000).await.expect("a turn").expect("a turn");
            // However long the pacer was idle, two calls asked for at once are still an interval apart (more, if
            // the second was asked for later than that).
            assert!(b - a >= 50, "{name}: no burst from the idle time: {} ms apart", b - a);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 3)]
    async fn instances_starting_together_migrate_once() {
        let url = fresh_postgres().await;
        let dir = tempfile::tempdir().expect("a directory");
        let starts = (0..3)
            .map(|_| {
                let (url, path) = (url.clone(), dir.path().to_owned());
                tokio::spawn(async move { Store::connect(Some(&url), &path).await })
            })
            .collect::<Vec<_>>();
        for s in starts {
            s.await.expect("a start").expect("every instance starts");
        }
        let store = Store::connect(Some(&url), dir.path()).await.expect("starts");
        let Db::Postgres(pool) = &store.db else { unreachable!() };
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM storyline_migrations")
            .fetch_one(pool)
            .await
            .expect("count");
        let migrations = sqlx::migrate!("./migrations/postgres").iter().count();
        assert_eq!(applied, migrations as i64, "each migration applied once");
    }

    #[tokio::test]
    async fn a_bad_database_setting_stops_start_up_naming_the_setting() {
        let dir = tempfile::tempdir().expect("a directory");
        for url in ["mysql://localhost/x", "postgres://nobody:secret@127.0.0.1:1/nothing"] {
            let e = Store::connect(Some(url), dir.path())
                .await
                .expect_err("refused")
                .to_string();
            assert!(e.contains("STORYLINE_DATABASE_URL"), "{e}");
            assert!(!e.contains("secret"), "the password is never shown: {e}");
        }
        // Unset, it is SQLite in the data directory.
        let store = Store::connect(None, dir.path()).await.expect("SQLite");
        assert_eq!(store.describe(), "SQLite");
    }

    #[tokio::test]
    async fn pages_on_one_instance_hear_of_changes_made_on_another() {
        let url = fresh_postgres().await;
        let dir = tempfile::tempdir().expect("a directory");
        let a = Store::connect(Some(&url), dir.path()).await.expect("a");
        let b = Store::connect(Some(&url), dir.path()).await.expect("b");
        // An id of its own: other tests change recordings of the usual ids in their schemas at the same time.
        let mut new = new_recording(0);
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("randomness");
        new.id = RecordingId::from_bytes(bytes);
        a.insert_within_limits(&new, None, &hourly(0, 0))
            .await
            .expect("inserted");
        let id = new.id;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let follower = a.clone();
        // The channel is the database's, and the tests running beside this one change recordings in other schemas of
        // it: only this recording's notices count here.
        let ours = id.clone();
        let follow = tokio::spawn(async move {
            follower
                .follow_changes(move |heard| {
                    if heard == ours {
                        drop(tx.send(heard));
                    }
                })
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The time from a change's commit on one instance to the other hearing of it, over several changes (the
        // median: one hiccup of a loaded machine is not the rule).
        let mut heard_in = Vec::new();
        for _ in 0..5 {
            let read = b.get(&id).await.expect("read").expect("there");
            b.save(&id, read.version, &read.recording, &[], None, true)
                .await
                .expect("saved");
            let committed = std::time::Instant::now();
            let heard = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("heard in time");
            heard_in.push(committed.elapsed());
            assert_eq!(heard, Some(id.clone()));
        }
        heard_in.sort();
        assert!(heard_in[2] < Duration::from_millis(100), "heard in {heard_in:?}");
        // Its own changes it already knows of: they are not told again.
        let read = a.get(&id).await.expect("read").expect("there");
        a.save(&id, read.version, &read.recording, &[], None, true)
            .await
            .expect("saved");
        assert!(
            tokio::time::timeout(Duration::from_millis(300), rx.recv())
                .await
                .is_err()
        );
        follow.abort();
    }

    #[tokio::test]
    async fn a_host_pool_keeps_storylines_migrations_apart_from_the_hosts() {
        let dir = tempfile::tempdir().expect("a directory");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("host.sqlite3"))
            .create_if_missing(true);
        let sqlite = SqlitePool::connect_with(options).await.expect("a pool");
        let postgres = PgPool::connect(&fresh_postgres().await).await.expect("a pool");
        for pool in [HostPool::from(sqlite), HostPool::from(postgres)] {
            let store_pool = pool.clone();
            // The host's own migrations, recorded where sqlx records them.
            let host = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
                        installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
                        checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)";
            let mark = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                        VALUES (20240101, 'host', TRUE, '', 0)";
            let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
            // The host's tables, made through its own pool, with the same statements on either database.
            let raw = Store::new(
                match &pool {
                    HostPool::Sqlite(p) => Db::Sqlite(p.clone()),
                    HostPool::Postgres(p) => Db::Postgres(p.clone()),
                },
                "host".into(),
            );
            let (hosts, ours): (i64, i64) = on_db!(raw, |p, pg| {
                sqlx::query(host).execute(p).await.expect("the host's migrations table");
                sqlx::query(mark).execute(p).await.expect("a host migration");
                Store::with_host_pool(store_pool.clone())
                    .await
                    .expect("storyline's migrations run beside the host's");
                (
                    sqlx::query_scalar(sqlx::AssertSqlSafe(count("_sqlx_migrations")))
                        .fetch_one(p)
                        .await
                        .expect("count"),
                    sqlx::query_scalar(sqlx::AssertSqlSafe(count("storyline_migrations")))
                        .fetch_one(p)
                        .await
                        .expect("count"),
                )
            });
            assert_eq!(hosts, 1, "the host's record of migrations is untouched");
            assert!(ours >= 1);
            let store = Store::with_host_pool(store_pool)
                .await
                .expect("a second start applies nothing twice");
            assert!(
                store
                    .get(&RecordingId::from_bytes([1; 16]))
                    .await
                    .expect("a query")
                    .is_none()
            );
        }
    }
}
