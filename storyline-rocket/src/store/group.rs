//! Group commit: a recording's change is made durable together with the changes that arrive while the one before
//! is being flushed to disk, in one transaction and one flush for all of them.
//!
//! Every caller of [`Store::save`](super::Store::save) hands its change to a committer task and waits for the commit
//! that holds it: nobody is answered before their change is on disk. A change whose recording moved on since it was
//! read (a conflict) writes nothing, and its caller is told so while the others commit. When a statement or the commit
//! fails, the whole transaction is undone and each change is then committed alone, so only the callers whose own
//! change fails hear of a failure.
//!
//! A commit takes one flush (about a millisecond on an ordinary disk); everything that queued meanwhile goes into the
//! next. SQLite has one writer, so it has one committer, and a flush per group instead of a flush per change.
//! PostgreSQL has a few committers working at once (it flushes their commits together too).
//!
//! On PostgreSQL the other instances hear of the changes once they are committed, from a notifier task that sends
//! what has gathered in one `NOTIFY` transaction. That transaction writes nothing that needs keeping, so it does not
//! wait for a flush (`synchronous_commit = off`): `NOTIFY` holds one lock across the whole database from its commit
//! until the commit is flushed, and inside the changes' own transactions it would make every commit wait for every
//! other's flush. A notice lost to an instance dying in between is made up for by the pages' polling.

use std::sync::Arc;

use storyline_core::RecordingId;
use tokio::sync::{mpsc, oneshot};

use super::events::NewEvent;
use super::recordings::{CHANNEL, Saved, insert_event};
use super::work::{Scheduled, insert_jobs};
use super::{Db, StoreError, on_db};

/// The most changes one commit holds; the rest wait for the next.
const AT_MOST: usize = 256;

/// A change waiting for its commit, as [`Store::save`](super::Store::save) was given it.
pub(super) struct Pending {
    pub id: RecordingId,
    /// The version it was made from.
    pub version: i64,
    pub status: &'static str,
    /// The recording's state, as JSON.
    pub state: String,
    pub call_sid: Option<String>,
    pub finished: Option<i64>,
    pub call_seconds: Option<i64>,
    pub now: i64,
    pub jobs: Vec<Scheduled>,
    pub event: Option<NewEvent>,
    pub notify: bool,
}

/// A change and where its outcome goes.
type Waiting = (Pending, oneshot::Sender<Result<Saved, StoreError>>);

/// How many groups PostgreSQL commits at once.
const POSTGRES_COMMITTERS: usize = 4;

/// Where changes are handed to the committers.
#[derive(Debug, Clone)]
pub(super) struct Committer(mpsc::UnboundedSender<Waiting>);

impl Committer {
    /// Starts the committer tasks for `db`. They end when the last handle is dropped.
    pub(super) fn start(db: Db, instance: String) -> Committer {
        let (tx, rx) = mpsc::unbounded_channel();
        let committers = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => POSTGRES_COMMITTERS,
        };
        let notices = match &db {
            Db::Sqlite(_) => None,
            Db::Postgres(pool) => {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(notify_forever(pool.clone(), rx));
                Some(tx)
            }
        };
        let writer = Arc::new(Writer { db, instance, notices });
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..committers {
            tokio::spawn(commit_forever(writer.clone(), rx.clone()));
        }
        Committer(tx)
    }

    /// Commits `pending` with whatever else is waiting, and answers once it is durable (or failed).
    pub(super) async fn commit(&self, pending: Pending) -> Result<Saved, StoreError> {
        let (done, answer) = oneshot::channel();
        self.0
            .send((pending, done))
            .map_err(|_| StoreError::Commit("the store is closing".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Commit("the committer stopped before the commit was made".into()))?
    }
}

struct Writer {
    db: Db,
    instance: String,
    /// Where the notices of committed changes go (PostgreSQL).
    notices: Option<mpsc::UnboundedSender<String>>,
}

/// The most notices one `NOTIFY` transaction sends.
const NOTICES_AT_MOST: usize = 512;

/// Tells the other instances of committed changes, in groups, until the committers are gone.
async fn notify_forever(pool: sqlx::PgPool, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut notices = Vec::with_capacity(NOTICES_AT_MOST);
    while rx.recv_many(&mut notices, NOTICES_AT_MOST).await > 0 {
        let sent: Result<(), sqlx::Error> = async {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL synchronous_commit = off")
                .execute(&mut *tx)
                .await?;
            sqlx::query("SELECT pg_notify($1, notice) FROM unnest(string_to_array($2, ' ')) AS notice")
                .bind(CHANNEL)
                .bind(notices.join(" "))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = sent {
            tracing::warn!(
                "other instances were not told of {} changes (their pages poll): {e}",
                notices.len()
            );
        }
        notices.clear();
    }
}

async fn commit_forever(writer: Arc<Writer>, rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Waiting>>>) {
    let mut group = Vec::with_capacity(AT_MOST);
    loop {
        // One committer at a time takes what is waiting; the others commit what they took meanwhile.
        if rx.lock().await.recv_many(&mut group, AT_MOST).await == 0 {
            return;
        }
        let started = std::time::Instant::now();
        let outcomes = writer.commit(&group).await;
        tracing::debug!(
            changes = group.len(),
            took_us = started.elapsed().as_micros() as u64,
            "committed a group"
        );
        for ((_, done), outcome) in group.drain(..).zip(outcomes) {
            // A caller that went away still had its change committed, as with any answer lost on the way.
            let _ = done.send(outcome);
        }
    }
}

/// One change's statements inside the group's transaction: whether it was saved or met a conflict.
macro_rules! save_one {
    ($tx:ident, $pg:ident, $p:ident) => {{
        let updated = sqlx::query(
            "UPDATE storyline_recordings SET status = $1, state = $2, call_sid = COALESCE($3, call_sid), \
             updated_at = $4, finished_at = COALESCE(finished_at, $5), version = version + 1, \
             call_seconds = COALESCE($8, call_seconds) \
             WHERE id = $6 AND version = $7",
        )
        .bind($p.status)
        .bind(&$p.state)
        .bind($p.call_sid.as_deref())
        .bind($p.now)
        .bind($p.finished)
        .bind($p.id.as_str())
        .bind($p.version)
        .bind($p.call_seconds)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if updated == 0 {
            Saved::Conflict
        } else {
            insert_jobs!($tx, $pg, &$p.id, &$p.jobs);
            if let Some(event) = &$p.event {
                insert_event!($tx, $pg, &$p.id, event);
            }
            Saved::Saved
        }
    }};
}

impl Writer {
    /// Commits `group`; one outcome per change, in order.
    async fn commit(&self, group: &[Waiting]) -> Vec<Result<Saved, StoreError>> {
        let changes: Vec<&Pending> = group.iter().map(|(pending, _)| pending).collect();
        match self.commit_together(&changes).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) if changes.len() == 1 => vec![Err(e)],
            Err(_) => {
                let mut outcomes = Vec::with_capacity(changes.len());
                for change in changes {
                    outcomes.push(self.commit_together(&[change]).await.map(|saved| saved[0]));
                }
                outcomes
            }
        }
    }

    /// Commits `changes` in one transaction, or none of them.
    async fn commit_together(&self, changes: &[&Pending]) -> Result<Vec<Saved>, StoreError> {
        on_db!(self, |pool, pg| {
            let mut tx = pool.begin().await?;
            let mut outcomes = Vec::with_capacity(changes.len());
            for p in changes {
                outcomes.push(save_one!(tx, pg, p));
            }
            tx.commit().await?;
            if let Some(notices) = &self.notices {
                for (p, saved) in changes.iter().zip(&outcomes) {
                    if p.notify && *saved == Saved::Saved {
                        let _ = notices.send(format!("{}:{}", self.instance, p.id.as_str()));
                    }
                }
            }
            Ok(outcomes)
        })
    }
}
