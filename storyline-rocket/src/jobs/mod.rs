//! Durable background work: copy finished recordings from Twilio ([`media`]), delete Twilio's copy, reconcile calls
//! whose callbacks never came ([`reconcile`]), and deliver events to the host service ([`deliver`]). Jobs live in the
//! store, so a restart resumes them; each runs in a span carrying its recording's log tag.

mod deliver;
mod media;
mod reconcile;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::Instrument as _;

use crate::app::App;
use crate::store::{DueJob, Job, now_ms};

use deliver::Outbound;

/// How often due jobs are looked for.
const TICK: Duration = Duration::from_millis(250);

/// Starts the background loop; it stops when the server shuts down.
pub(crate) fn spawn(app: App) {
    tokio::spawn(async move {
        let outbound = Outbound::new();
        // Deliveries wait on the host service (up to 10 s each): they run beside the loop, so a slow host never holds
        // up copying a story. A delivery still running is not started again.
        let delivering: Arc<Mutex<HashSet<i64>>> = Arc::default();
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
            match app.store.due_jobs(16).await {
                Ok(jobs) => {
                    for job in jobs {
                        let span = tracing::info_span!("job", recording = %job.recording_id.log_tag());
                        if matches!(job.job, Ok(Job::DeliverEvent { .. })) {
                            if !delivering.lock().expect("not poisoned").insert(job.id) {
                                continue;
                            }
                            let (app, outbound, delivering) = (app.clone(), outbound.clone(), delivering.clone());
                            tokio::spawn(
                                async move {
                                    let id = job.id;
                                    run(&app, &outbound, job).await;
                                    delivering.lock().expect("not poisoned").remove(&id);
                                }
                                .instrument(span),
                            );
                        } else {
                            run(&app, &outbound, job).instrument(span).await;
                        }
                    }
                }
                Err(e) => tracing::error!("reading due jobs failed: {e}"),
            }
            if last_reconcile.elapsed() >= reconcile::every(&app) {
                last_reconcile = tokio::time::Instant::now();
                reconcile::stale(&app, false).await;
            }
        }
    });
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
    };
    match outcome {
        Outcome::Done => {
            let _ = app.store.finish_job(due.id, due.generation).await;
        }
        Outcome::Retry(e) => {
            let attempt = due.attempts.saturating_add(1);
            let wait = app.delay(storyline_core::recording::storage_retry_delay_secs(attempt + 1));
            let kind = due.job.as_ref().map_or("unreadable", Job::kind);
            tracing::warn!(kind, attempt, "background job failed, will retry: {e}");
            let _ = app
                .store
                .retry_job(due.id, now_ms() + wait.as_millis() as i64, &e)
                .await;
        }
    }
}
