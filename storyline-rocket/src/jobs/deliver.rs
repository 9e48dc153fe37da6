//! Delivering events to the host service: the stored body POSTed to `STORYLINE_EVENTS_URL`, signed the way Stripe
//! signs webhooks (`Storyline-Signature: t=…,v1=…`, see `storyline_core::events`), retried with backoff until the
//! host answers 2xx, for three days.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use storyline_core::events;
use storyline_core::recording::Status;

use super::Outcome;
use crate::app::App;
use crate::story::ENDED;

/// How long the host has to answer one delivery.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How long an event is retried before an operator is told it was given up.
const GIVE_UP_AFTER_SECS: i64 = 3 * 24 * 3600;

/// An HTTP(S) client for requests to the host service.
#[derive(Clone)]
pub(super) struct Outbound {
    inner: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Outbound {
    pub(super) fn new() -> Outbound {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring provider supports the default protocol versions")
            .https_or_http()
            .enable_http1()
            .build();
        Outbound {
            inner: HyperClient::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// POSTs a JSON body with a signature; the answer's status.
    async fn post(&self, url: &str, body: &str, signature: &str) -> Result<u16, String> {
        let request = http::Request::post(url)
            .header("Content-Type", "application/json")
            .header("User-Agent", concat!("storyline/", env!("CARGO_PKG_VERSION")))
            .header(events::HEADER, signature)
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| format!("bad events URL: {e}"))?;
        let send = async {
            let response = self.inner.request(request).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            // Read (and drop) the answer so the connection can be used again.
            let _ = response.into_body().collect().await;
            Ok(status)
        };
        tokio::time::timeout(TIMEOUT, send)
            .await
            .map_err(|_| format!("no answer within {TIMEOUT:?}"))?
    }
}

fn now_secs() -> i64 {
    crate::store::now_ms() / 1000
}

/// Delivers one event, unless it was delivered, or is a `story.ended` whose story turned out to be told after all.
pub(super) async fn event(app: &App, outbound: &Outbound, event_id: &str, attempts: u32) -> Outcome {
    let Some(target) = &app.events else {
        tracing::warn!(
            event = event_id,
            "an event was not delivered: STORYLINE_EVENTS_URL is no longer set"
        );
        return Outcome::Done;
    };
    let stored = match app.store.event(event_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return Outcome::Done,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    if stored.delivered {
        return Outcome::Done;
    }
    let body: serde_json::Value = serde_json::from_str(&stored.body).unwrap_or_default();
    if body["type"] == ENDED {
        let now = match app.store.get(&stored.recording_id).await {
            Ok(Some(r)) => r.recording.status(),
            Ok(None) => return Outcome::Done,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        // Still on its way, or told after all: `story.completed` follows instead (or a later ending replaces this one).
        if !now.is_final() || now == Status::Complete {
            tracing::info!(event = event_id, status = %now, "an ending gave way to a story: its story.ended is not sent");
            return Outcome::Done;
        }
    }
    if now_secs() - stored.created > GIVE_UP_AFTER_SECS {
        tracing::error!(
            event = event_id,
            attempts,
            "OPERATOR: the host service did not take an event for three days; it is \
            no longer retried (the story itself is kept)"
        );
        return Outcome::Done;
    }
    if let Err(e) = app.store.event_attempted(event_id).await {
        return Outcome::Retry(e.to_string());
    }
    let signature = events::sign(
        &target.secret,
        u64::try_from(now_secs()).unwrap_or(0),
        stored.body.as_bytes(),
    );
    match outbound.post(&target.url, &stored.body, &signature).await {
        Ok(status) if (200..300).contains(&status) => {
            if let Err(e) = app.store.event_delivered(event_id).await {
                // Delivered but not marked: it will be delivered again, with the same id, which hosts must tolerate.
                tracing::warn!(event = event_id, "could not record an event's delivery: {e}");
            }
            tracing::info!(event = event_id, "delivered an event to the host service");
            Outcome::Done
        }
        Ok(status) => Outcome::Retry(format!("the host service answered {status}")),
        Err(e) => Outcome::Retry(format!("the host service could not be reached: {e}")),
    }
}
