//! Durable background work: copy finished recordings from Twilio ([`media`]), delete Twilio's copy, reconcile calls
//! whose callbacks never came ([`reconcile`]), and deliver events to the host service ([`deliver`]). Jobs live in the
//! store, so a restart resumes them; each runs in a span carrying its recording's log tag.

mod deliver;
mod media;
mod reconcile;
mod settle;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use tracing::Instrument as _;

use crate::app::App;
use crate::store::{DueJob, Job, now_ms};
use crate::story;

use deliver::Outbound;

/// How often due jobs are looked for.
const TICK: Duration = Duration::from_millis(250);

/// Jobs one instance runs at once. Deliveries wait on the host service (up to 10 s each) and copies on Twilio: they
/// run beside each other, so a slow host never holds up copying a story.
const AT_ONCE: usize = 16;

/// How long a claimed job is held without word from its instance (in real time; the sandbox speed shortens it, as
/// it shortens every background delay). The instance renews its leases three times as often: a job is taken over
/// only from an instance that stopped.
const LEASE_SECS: u64 = 30;

/// Starts the background loop; it stops when the server shuts down.
pub(crate) fn spawn(app: App) {
    let lease = app.delay(LEASE_SECS).max(Duration::from_secs(3));
    let running = Running::default();
    tokio::spawn(renew_leases(app.clone(), running.clone(), lease));
    tokio::spawn(async move {
        let outbound = Outbound::new();
        let slots = Arc::new(Semaphore::new(AT_ONCE));
        let mut shutdown = app.shutdown.get().cloned();
        // Right after a restart, every unfinished call is looked at once.
        reconcile::stale(&app, true).await;
        let mut last_reconcile = tokio::time::Instant::now();
        loop {
            let tick = tokio::time::sleep(TICK);
            match shutdown.as_mut() {
                Some(s) => {
                    tokio::select! {
                        _ = tick => {}
                        _ = s => return,
                    }
                }
                None => tick.await,
            }
            let free = slots.available_permits();
            if free > 0 {
                match app
                    .store
                    .claim_jobs(now_ms(), free as i64, lease.as_millis() as i64)
                    .await
                {
                    Ok(jobs) => {
                        for job in jobs {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                return;
                            };
                            let span = tracing::info_span!("job", recording = %job.recording_id.log_tag());
                            let (app, outbound) = (app.clone(), outbound.clone());
                            // Held while it runs, and let go however the run ends (a panic too).
                            let held = running.hold(&job);
                            tokio::spawn(
                                async move {
                                    run(&app, &outbound, job).await;
                                    drop((held, slot));
                                }
                                .instrument(span),
                            );
                        }
                    }
                    Err(e) => tracing::error!("reading due jobs failed: {e}"),
                }
            }
            if last_reconcile.elapsed() >= reconcile::every(&app) {
                last_reconcile = tokio::time::Instant::now();
                reconcile::stale(&app, false).await;
                forget(&app).await;
            }
        }
    });
}

/// Deletes every recording Twilio holds for a call (a deleted story's): those Storyline knows of, and any whose
/// callback was lost.
async fn purge_recordings(app: &App, call_sid: &storyline_core::CallSid) -> Outcome {
    let page = match app.twilio.list_recordings(call_sid).send().await {
        Ok(page) => page,
        Err(e) => return Outcome::Retry(format!("listing a deleted story's recordings at twilio failed: {e}")),
    };
    for recording in page.recordings {
        let Some(sid) = recording.sid else { continue };
        match app.twilio.delete_recording(&sid).send().await {
            Ok(()) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Outcome::Retry(format!("deleting a deleted story's recording at twilio failed: {e}")),
        }
    }
    Outcome::Done
}

/// How long a finished job is kept (for an operator looking into a story's history) before it is purged.
const FINISHED_JOBS_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Drops client addresses the hourly limits no longer need, purges old finished jobs, and deletes the stories past
/// their retention.
async fn forget(app: &App) {
    let now = now_ms();
    let window = crate::store::LIMIT_WINDOW_MS;
    match app
        .store
        .forget(now - window, now - FINISHED_JOBS_KEPT.as_millis() as i64)
        .await
    {
        Ok((0, 0)) => {}
        Ok((addresses, jobs)) => tracing::info!(addresses, jobs, "forgot client addresses and finished jobs"),
        Err(e) => tracing::warn!("forgetting old client addresses and jobs failed: {e}"),
    }
    match story::expire(app).await {
        Ok(0) => {}
        Ok(stories) => tracing::info!(stories, "deleted stories older than STORYLINE_KEEP_STORIES_DAYS"),
        Err(e) => tracing::warn!("deleting stories past their retention failed: {e}"),
    }
}

/// The jobs this instance is running, with the lease each holds.
#[derive(Clone, Default)]
struct Running(Arc<Mutex<HashMap<i64, String>>>);

/// A job held while it runs: dropping it (the run ended, or panicked) stops its renewal.
struct Held {
    running: Running,
    id: i64,
}

impl Running {
    fn hold(&self, job: &DueJob) -> Held {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(job.id, job.lease.clone());
        Held {
            running: self.clone(),
            id: job.id,
        }
    }

    fn leases(&self) -> Vec<(i64, String)> {
        let held = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        held.iter().map(|(id, lease)| (*id, lease.clone())).collect()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.running
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// Keeps the jobs this instance is running held, three times a lease.
async fn renew_leases(app: App, running: Running, lease: Duration) {
    let mut shutdown = app.shutdown.get().cloned();
    loop {
        let wait = tokio::time::sleep(lease / 3);
        match shutdown.as_mut() {
            Some(s) => {
                tokio::select! {
                    _ = wait => {}
                    _ = s => return,
                }
            }
            None => wait.await,
        }
        for (id, held) in running.leases() {
            match app.store.renew_lease(id, &held, lease.as_millis() as i64).await {
                Ok(true) => {}
                // Another instance took it over while this one could not renew (the database was out of reach for a
                // whole lease): both may run it, which every job but a call's placement allows (that one is fenced).
                Ok(false) => tracing::warn!(job = id, "a running job was taken over by another instance"),
                Err(e) => tracing::warn!("renewing a job's lease failed: {e}"),
            }
        }
    }
}

/// What became of one run of a job.
pub(crate) enum Outcome {
    /// Done: never run again (unless asked for again).
    Done,
    /// Failed: try again after the usual backoff.
    Retry(String),
}

/// Carries out one due job. Failures are recorded, never lost: the job (or the state machine) schedules the next try.
async fn run(app: &App, outbound: &Outbound, due: DueJob) {
    let outcome = match &due.job {
        Err(e) => {
            tracing::error!("OPERATOR: a stored job cannot be read by this version and is dropped: {e}");
            Outcome::Done
        }
        Ok(Job::CopyMedia {
            recording_sid,
            media_url,
            attempt,
        }) => media::copy(app, &due.recording_id, recording_sid, media_url.as_deref(), *attempt).await,
        Ok(Job::DeleteTwilioRecording { recording_sid }) => {
            match app.twilio.delete_recording(recording_sid).send().await {
                Ok(()) => Outcome::Done,
                // Already gone is what we wanted.
                Err(e) if e.status() == Some(404) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
        Ok(Job::Reconcile { call_sid, attempt }) => reconcile::call(app, &due.recording_id, call_sid, *attempt).await,
        Ok(Job::DeliverEvent { event_id }) => deliver::event(app, outbound, event_id, due.attempts).await,
        Ok(Job::PlaceCall { at }) => {
            // Never retried: a second try could ring the storyteller twice. A refusal ends the recording, and a call
            // whose outcome was lost is the reconciler's.
            story::place_queued(app, &due, *at).await;
            Outcome::Done
        }
        Ok(Job::SettleCall) => settle::call(app, &due.recording_id).await,
        Ok(Job::PurgeTwilioRecordings { call_sid }) => purge_recordings(app, call_sid).await,
        Ok(Job::RemoveAudio { file }) => match app.audio.remove(file).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Retry(format!("removing a deleted story's audio failed: {e}")),
        },
    };
    // Not done or retried (the database failed): its lease runs out, and it runs again, which every job allows.
    match outcome {
        Outcome::Done => {
            if let Err(e) = app.store.finish_job(&due).await {
                tracing::warn!("finishing a job failed; it will run again: {e}");
            }
        }
        Outcome::Retry(e) => {
            let attempt = due.attempts.saturating_add(1);
            let wait = app.delay(storyline_core::recording::storage_retry_delay_secs(attempt + 1));
            let kind = due.job.as_ref().map_or("unreadable", Job::kind);
            tracing::warn!(kind, attempt, "background job failed, will retry: {e}");
            if let Err(e) = app.store.retry_job(&due, now_ms() + wait.as_millis() as i64, &e).await {
                tracing::warn!("recording a job's failure failed; it will run again: {e}");
            }
        }
    }
}
