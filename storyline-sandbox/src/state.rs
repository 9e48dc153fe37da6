//! Everything a running sandbox knows, shared by its REST routes, its phone page and the calls it runs; and the
//! callbacks it sends, as Twilio sends them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use storyline_core::{AccountSid, AuthToken, CallSid, RecordingSid};

use crate::Retention;
use crate::faults::{self, Faults};
use crate::outbound::{self, for_logs};
use crate::phone;
use crate::records::{CallRecord, RecordingRecord};

/// The shortest TwiML limit at any speed: a debug build on a loaded machine answers slower than 15 s divided by a speed
/// of 50, and is no slow application.
pub(crate) const MIN_TWIML_LIMIT: Duration = Duration::from_secs(2);

/// Everything the sandbox knows, shared by its REST routes and the calls it runs.
pub(crate) struct State {
    pub account_sid: AccountSid,
    pub auth_token: AuthToken,
    pub speed: f64,
    pub http: outbound::Client,
    /// Where the sandbox listens, known once it has started.
    pub base_url: std::sync::OnceLock<String>,
    pub faults: Faults,
    pub retention: Retention,
    pub burst: faults::Burst,
    /// Every fault decision is drawn from these.
    pub dice: faults::Dice,
    pub calls: Mutex<HashMap<CallSid, CallRecord>>,
    pub recordings: Mutex<HashMap<RecordingSid, RecordingRecord>>,
    /// The sandbox phone in a browser (`GET /phone`).
    pub phone: phone::Line,
}

impl State {
    /// The sandbox's own base URL, for the URLs it hands out.
    pub(crate) fn public_base(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or("http://127.0.0.1")
    }

    /// How long a TwiML request may take: Twilio's 15 s in call time, but never under [`MIN_TWIML_LIMIT`].
    pub(crate) fn twiml_limit(&self) -> Duration {
        outbound::WEBHOOK_TIMEOUT.div_f64(self.speed).max(MIN_TWIML_LIMIT)
    }

    /// Forgets the finished calls, and their recordings, that [`Retention`] no longer keeps: the oldest first.
    pub(crate) fn evict(&self) {
        let mut calls = self.calls.lock().expect("not poisoned");
        let mut recordings = self.recordings.lock().expect("not poisoned");
        let mut finished: Vec<(time::OffsetDateTime, CallSid)> = calls
            .values()
            .filter(|c| c.status.is_final())
            .map(|c| (c.end_time.unwrap_or(c.created_at), c.sid.clone()))
            .collect();
        finished.sort();
        let mut audio: usize = recordings.values().map(|r| r.pcm.len() * 2).sum();
        let too_old = time::OffsetDateTime::now_utc() - self.retention.max_age;
        let mut kept = finished.len();
        for (ended, sid) in finished {
            if kept <= self.retention.max_calls && audio <= self.retention.max_audio_bytes && ended >= too_old {
                break;
            }
            calls.remove(&sid);
            recordings.retain(|_, r| {
                let theirs = r.call_sid == sid;
                if theirs {
                    audio -= r.pcm.len() * 2;
                }
                !theirs
            });
            kept -= 1;
        }
    }

    /// Sleeps for `secs` seconds of call time.
    pub(crate) async fn wait(&self, secs: f64) {
        tokio::time::sleep(Duration::from_secs_f64((secs / self.speed).max(0.0))).await;
    }

    /// The instant `secs` seconds of call time from now.
    pub(crate) fn call_time_from_now(&self, secs: f64) -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_secs_f64((secs / self.speed).max(0.0))
    }

    /// Milliseconds of call time left until `deadline`; 0 once it has passed.
    pub(crate) fn call_ms_until(&self, deadline: tokio::time::Instant) -> u64 {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        (left.as_secs_f64() * self.speed * 1000.0) as u64
    }

    /// The parameters every request about this call carries.
    pub(crate) fn common_params(&self, sid: &CallSid) -> Vec<(String, String)> {
        let calls = self.calls.lock().expect("not poisoned");
        let Some(call) = calls.get(sid) else { return Vec::new() };
        let mut p: Vec<(String, String)> = vec![
            ("AccountSid".into(), self.account_sid.to_string()),
            ("ApiVersion".into(), "2010-04-01".into()),
            ("CallSid".into(), sid.to_string()),
            ("CallStatus".into(), call.status.as_str().into()),
            ("Called".into(), call.to.clone()),
            ("Caller".into(), call.from.clone()),
            ("Direction".into(), "outbound-api".into()),
            ("From".into(), call.from.clone()),
            ("To".into(), call.to.clone()),
            ("ToCountry".into(), "US".into()),
            ("FromCountry".into(), "US".into()),
        ];
        if let Some(by) = &call.answered_by {
            p.push(("AnsweredBy".into(), by.clone()));
        }
        p
    }

    /// Sends a callback whose answer does not matter, retrying a failed connection once as Twilio does by default.
    pub(crate) async fn deliver(&self, method: &str, url: &str, params: &[(String, String)]) {
        let f = &self.faults;
        if self.dice.roll(f.drop) {
            tracing::debug!("sandbox fault: callback to {} never delivered", for_logs(url));
            return;
        }
        if self.dice.roll(f.delay) {
            self.wait(self.dice.f64() * f.max_delay).await;
        }
        let copies = if self.dice.roll(f.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            self.deliver_once(method, url, params).await;
        }
    }

    async fn deliver_once(&self, method: &str, url: &str, params: &[(String, String)]) {
        for attempt in 0..2 {
            match self.http.send(&self.auth_token, method, url, params).await {
                Ok(_) => return,
                Err(e) if attempt == 0 => {
                    tracing::debug!("sandbox callback to {} failed ({e}); retrying once", for_logs(url));
                    self.wait(1.0).await;
                }
                Err(e) => tracing::warn!("sandbox callback to {} failed twice ({e}); giving up", for_logs(url)),
            }
        }
    }
}
