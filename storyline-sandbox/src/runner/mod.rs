//! The TwiML conversation of an answered call: fetch the document, run each verb with Twilio's semantics and timing, and
//! follow `action`, `Redirect` and fallbacks until the call ends.

mod record;

pub(crate) use record::RECORDING_FAILED;

use std::sync::Arc;

use storyline_core::CallSid;
use storyline_twiml::{Gather, Method, Response, Verb};
use tokio::time::Instant;
use url::Url;

use crate::outbound::{SendError, for_logs};
use crate::phone::{Heard, Session};
use crate::state::State;
use crate::storyteller::{Behaviour, speaking_time};

/// Twilio keeps fetching TwiML for as long as the call lasts; a runaway loop in a sandbox is better stopped.
const MAX_DOCUMENTS: usize = 50;

/// How a call's TwiML conversation ended.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Fetch this URL next (an `action`, a `Redirect`), with these extra parameters.
    Fetch {
        url: Url,
        method: String,
        extra: Vec<(String, String)>,
    },
    /// The call is over.
    Hangup,
}

/// Who is on the line, and what they have done so far in this call.
struct Listener<'a> {
    heard_greeting: bool,
    told_story: bool,
    /// A person on the sandbox phone, rather than a virtual storyteller.
    phone: Option<&'a mut Session>,
}

/// Runs the call's TwiML until it ends, or until its `TimeLimit` ends it; with `phone`, a person on the sandbox phone
/// listens and speaks.
pub(crate) async fn converse(state: &Arc<State>, sid: &CallSid, behaviour: Behaviour, phone: Option<&mut Session>) {
    let Some((url, method, fallback, time_limit)) = ({
        let calls = state.calls.lock().expect("not poisoned");
        calls.get(sid).map(|c| {
            (
                c.url.clone(),
                c.method.clone(),
                c.fallback_url.clone().map(|f| (f, c.fallback_method.clone())),
                c.time_limit,
            )
        })
    }) else {
        return;
    };
    // The call was just answered: its time limit counts from here, as its duration does.
    let deadline = state.call_time_from_now(f64::from(time_limit));
    let Ok(url) = Url::parse(&url) else { return };
    let mut next = Next::Fetch {
        url,
        method,
        extra: Vec::new(),
    };
    let mut listener = Listener {
        heard_greeting: false,
        told_story: false,
        phone,
    };
    for _ in 0..MAX_DOCUMENTS {
        let Next::Fetch { url, method, extra } = next else {
            return;
        };
        let fetched =
            tokio::time::timeout_at(deadline, fetch(state, sid, &url, &method, &extra, fallback.as_ref())).await;
        let Ok(fetched) = fetched else {
            time_is_up(&mut listener);
            return;
        };
        let Some(doc) = fetched else {
            // "We are sorry, an application error has occurred. Goodbye."
            let _ = tokio::time::timeout_at(deadline, state.wait(4.0)).await;
            return;
        };
        next = run_document(state, sid, behaviour, &url, &doc, &mut listener, deadline).await;
    }
}

/// Twilio ends the call when its time limit is reached, whatever it was doing.
fn time_is_up(listener: &mut Listener<'_>) -> Next {
    if let Some(phone) = listener.phone.as_deref_mut() {
        phone.end_with("The call reached its time limit.");
    }
    Next::Hangup
}

/// Fetches and parses a TwiML document; on failure tries the fallback URL with `ErrorCode` and `ErrorUrl`, as Twilio does.
async fn fetch(
    state: &State,
    sid: &CallSid,
    url: &Url,
    method: &str,
    extra: &[(String, String)],
    fallback: Option<&(String, String)>,
) -> Option<Response> {
    let mut params = state.common_params(sid);
    params.extend_from_slice(extra);
    let limit = state.twiml_limit();
    let sent = if state.dice.roll(state.faults.twiml_timeout) {
        // The application gets the request, but its answer comes after the limit: Twilio has given up on it.
        let started = tokio::time::Instant::now();
        let _ignored = state
            .http
            .send_within(limit, &state.auth_token, method, url.as_str(), &params)
            .await;
        tokio::time::sleep_until(started + limit).await;
        Err(SendError::Timeout(limit))
    } else {
        state
            .http
            .send_within(limit, &state.auth_token, method, url.as_str(), &params)
            .await
    };
    let error = match sent {
        Ok(reply) if (200..300).contains(&reply.status) => match reply.body.parse::<Response>() {
            Ok(doc) => return Some(doc),
            Err(e) => {
                tracing::warn!("sandbox: TwiML from {} does not parse: {e}", for_logs(url.as_str()));
                "12100"
            }
        },
        Ok(reply) => {
            tracing::warn!(
                "sandbox: TwiML request to {} answered {}",
                for_logs(url.as_str()),
                reply.status
            );
            "11200"
        }
        Err(SendError::Timeout(_)) => {
            tracing::warn!(
                "sandbox: TwiML request to {} took longer than {limit:?}",
                for_logs(url.as_str())
            );
            "11205"
        }
        Err(e) => {
            tracing::warn!("sandbox: TwiML request to {} failed: {e}", for_logs(url.as_str()));
            "11200"
        }
    };
    if let Some(c) = state.calls.lock().expect("not poisoned").get_mut(sid) {
        c.twiml_failed = true;
    }
    let (fallback_url, fallback_method) = fallback?;
    params.push(("ErrorCode".into(), error.into()));
    params.push(("ErrorUrl".into(), url.to_string()));
    let reply = state
        .http
        .send_within(limit, &state.auth_token, fallback_method, fallback_url, &params)
        .await
        .ok()?;
    if (200..300).contains(&reply.status) {
        reply.body.parse().ok()
    } else {
        None
    }
}

fn method_name(m: Option<Method>) -> String {
    m.unwrap_or(Method::Post).as_str().to_owned()
}

async fn run_document(
    state: &Arc<State>,
    sid: &CallSid,
    behaviour: Behaviour,
    doc_url: &Url,
    doc: &Response,
    listener: &mut Listener<'_>,
    deadline: Instant,
) -> Next {
    for verb in doc.verbs() {
        let step = match verb {
            Verb::Record(_) if behaviour == Behaviour::HangsUpDuringGreeting => Some(Next::Hangup),
            // A recording the time limit ends is finished, as when the caller hangs up: `<Record>` watches the limit.
            Verb::Record(record) => {
                record::record_story(state, sid, behaviour, doc_url, record, listener, deadline).await
            }
            _ => match tokio::time::timeout_at(deadline, run_verb(state, behaviour, doc_url, verb, listener)).await {
                Ok(step) => step,
                Err(_) => Some(time_is_up(listener)),
            },
        };
        if let Some(next) = step {
            return next;
        }
    }
    // Twilio hangs up when a document runs out of verbs.
    Next::Hangup
}

/// Runs a verb other than `<Record>`: `None` goes on to the next verb, `Some(next)` leaves the document.
async fn run_verb(
    state: &Arc<State>,
    behaviour: Behaviour,
    doc_url: &Url,
    verb: &Verb,
    listener: &mut Listener<'_>,
) -> Option<Next> {
    if let Some(phone) = listener.phone.as_deref_mut()
        && !matches!(verb, Verb::Hangup(_) | Verb::Redirect(_))
    {
        return match on_phone(phone, doc_url, verb).await {
            Ok(None) => {
                listener.heard_greeting = true;
                None
            }
            Ok(Some(next)) => Some(next),
            Err(_) => Some(Next::Hangup),
        };
    }
    match verb {
        Verb::Say(say) => {
            let secs = speaking_time(&say.text) * f64::from(say.loop_count.unwrap_or(1).clamp(1, 10));
            if behaviour == Behaviour::HangsUpDuringGreeting {
                state.wait(secs / 2.0).await;
                return Some(Next::Hangup);
            }
            state.wait(secs).await;
            listener.heard_greeting = true;
        }
        Verb::Play(play) => {
            let times = f64::from(play.loop_count.unwrap_or(1).clamp(1, 10));
            if behaviour == Behaviour::HangsUpDuringGreeting {
                state.wait(1.5).await;
                return Some(Next::Hangup);
            }
            state.wait(3.0 * times).await;
            listener.heard_greeting = true;
        }
        Verb::Pause(pause) => state.wait(f64::from(pause.length.unwrap_or(1))).await,
        Verb::Hangup(_) => return Some(Next::Hangup),
        Verb::Redirect(redirect) => {
            let Ok(url) = redirect.url.resolve(doc_url) else {
                return Some(Next::Hangup);
            };
            return Some(Next::Fetch {
                url,
                method: method_name(redirect.method),
                extra: Vec::new(),
            });
        }
        Verb::Gather(gather) => return gather_input(state, doc_url, gather).await,
        // A verb this sandbox does not run (none exist yet: the enum is non-exhaustive): Twilio would run it.
        _ => state.wait(1.0).await,
    }
    None
}

/// Runs a verb other than `<Record>` with a person on the sandbox phone: `Ok(None)` goes on to the next verb,
/// `Ok(Some(next))` leaves the document, `Err` means they hung up.
async fn on_phone(phone: &mut Session, doc_url: &Url, verb: &Verb) -> Result<Option<Next>, Heard> {
    let heard = match verb {
        Verb::Say(say) => {
            let language = say.language.as_ref().map(|l| l.as_str());
            phone
                .say(&say.text, language, say.loop_count.unwrap_or(1).clamp(1, 10))
                .await
        }
        Verb::Play(play) => match play.url.as_ref().and_then(|u| u.resolve(doc_url).ok()) {
            Some(url) => {
                phone
                    .play(url.as_str(), play.loop_count.unwrap_or(1).clamp(1, 10))
                    .await
            }
            // DTMF tones only: the person hears beeps the page does not play.
            None => Heard::Done,
        },
        Verb::Pause(pause) => phone.pause(pause.length.unwrap_or(1)).await,
        Verb::Gather(gather) => {
            let keys = gather.finish_on_key.as_deref().unwrap_or("#");
            let digits = phone
                .gather(gather.timeout.unwrap_or(5), keys, gather.num_digits)
                .await?;
            if digits.is_empty() && gather.action_on_empty_result != Some(true) {
                return Ok(None);
            }
            let action = match &gather.action {
                Some(a) => a.resolve(doc_url).map_err(|_| Heard::Done)?,
                None => doc_url.clone(),
            };
            return Ok(Some(Next::Fetch {
                url: action,
                method: method_name(gather.method),
                extra: vec![("Digits".into(), digits)],
            }));
        }
        // A verb this sandbox does not run: the person hears nothing.
        _ => Heard::Done,
    };
    match heard {
        Heard::Done => Ok(None),
        Heard::HungUp => Err(Heard::HungUp),
    }
}

/// The virtual storytellers press no keys and say nothing to a `<Gather>`: it waits, then falls through, or asks its
/// action with empty input when `actionOnEmptyResult` is set.
async fn gather_input(state: &State, doc_url: &Url, gather: &Gather) -> Option<Next> {
    state.wait(f64::from(gather.timeout.unwrap_or(5))).await;
    if gather.action_on_empty_result == Some(true) {
        let action = match &gather.action {
            Some(a) => a.resolve(doc_url).ok()?,
            None => doc_url.clone(),
        };
        return Some(Next::Fetch {
            url: action,
            method: method_name(gather.method),
            extra: vec![("Digits".into(), String::new())],
        });
    }
    None
}
