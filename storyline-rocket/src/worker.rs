//! Durable background work: copy finished recordings from Twilio, delete Twilio's copy, and reconcile calls whose
//! callbacks never came. Jobs live in the database, so a restart resumes them.

use std::time::Duration;

use crate::App;
use crate::flow;

/// How often due jobs are looked for.
const TICK: Duration = Duration::from_millis(250);

/// Starts the background loop; it stops when the server shuts down.
pub fn spawn(app: App) {
    tokio::spawn(async move {
        let mut shutdown = app.shutdown.get().cloned();
        // Right after a restart, every unfinished call is looked at once.
        flow::reconcile_stale(&app, true).await;
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
            match crate::db::due_jobs(&app.pool, 16).await {
                Ok(jobs) => {
                    for job in jobs {
                        flow::run_job(&app, job).await;
                    }
                }
                Err(e) => tracing::error!("reading due jobs failed: {e}"),
            }
            if last_reconcile.elapsed() >= flow::reconcile_every(&app) {
                last_reconcile = tokio::time::Instant::now();
                flow::reconcile_stale(&app, false).await;
            }
        }
    });
}
