//! The TwiML conversation of an answered call: fetch the document, run each verb with Twilio's semantics and timing, and
//! follow `action`, `Redirect` and fallbacks until the call ends.

use std::sync::Arc;

use storyline_core::{CallSid, RecordingSid};
use storyline_twiml::{Gather, Method, Record, RecordingEvent, Response, Trim, Verb};
use time::OffsetDateTime;
use url::Url;

use super::State;
use super::call::{RecordingRecord, common_params, deliver};
use super::media;
use super::storyteller::Behaviour;

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

/// What the storyteller has done so far in this call.
#[derive(Default)]
struct Listener {
    heard_greeting: bool,
    told_story: bool,
}

/// Runs the call's TwiML until it ends.
pub async fn converse(state: &Arc<State>, sid: &CallSid, behaviour: Behaviour) {
    let Some((url, method, fallback)) = ({
        let calls = state.calls.lock().expect("not poisoned");
        calls.get(sid).map(|c| {
            (
                c.url.clone(),
                c.method.clone(),
                c.fallback_url.clone().map(|f| (f, c.fallback_method.clone())),
            )
        })
    }) else {
        return;
    };
    let Ok(url) = Url::parse(&url) else { return };
    let mut next = Next::Fetch {
        url,
        method,
        extra: Vec::new(),
    };
    let mut listener = Listener::default();
    for _ in 0..MAX_DOCUMENTS {
        let Next::Fetch { url, method, extra } = next else {
            return;
        };
        let Some(doc) = fetch(state, sid, &url, &method, &extra, fallback.as_ref()).await else {
            // "We are sorry, an application error has occurred. Goodbye."
            state.wait(4.0).await;
            return;
        };
        next = run_document(state, sid, behaviour, &url, &doc, &mut listener).await;
    }
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
    let mut params = common_params(state, sid);
    params.extend_from_slice(extra);
    let error = match state.http.send(&state.auth_token, method, url.as_str(), &params).await {
        Ok(reply) if (200..300).contains(&reply.status) => match reply.body.parse::<Response>() {
            Ok(doc) => return Some(doc),
            Err(e) => {
                tracing::warn!("sandbox: TwiML from {url} does not parse: {e}");
                "12100"
            }
        },
        Ok(reply) => {
            tracing::warn!("sandbox: TwiML request to {url} answered {}", reply.status);
            "11200"
        }
        Err(super::http::SendError::Timeout(_)) => {
            tracing::warn!("sandbox: TwiML request to {url} took longer than 15 s");
            "11205"
        }
        Err(e) => {
            tracing::warn!("sandbox: TwiML request to {url} failed: {e}");
            "11200"
        }
    };
    let (fallback_url, fallback_method) = fallback?;
    params.push(("ErrorCode".into(), error.into()));
    params.push(("ErrorUrl".into(), url.to_string()));
    let reply = state
        .http
        .send(&state.auth_token, fallback_method, fallback_url, &params)
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

/// Seconds a voice takes to say `text`: about 150 words a minute.
fn speaking_time(text: &str) -> f64 {
    (text.split_whitespace().count() as f64 * 0.4).max(1.0)
}

async fn run_document(
    state: &Arc<State>,
    sid: &CallSid,
    behaviour: Behaviour,
    doc_url: &Url,
    doc: &Response,
    listener: &mut Listener,
) -> Next {
    for verb in doc.verbs() {
        match verb {
            Verb::Say(say) => {
                let secs = speaking_time(&say.text) * f64::from(say.loop_count.unwrap_or(1).clamp(1, 10));
                if behaviour == Behaviour::HangsUpDuringGreeting {
                    state.wait(secs / 2.0).await;
                    return Next::Hangup;
                }
                state.wait(secs).await;
                listener.heard_greeting = true;
            }
            Verb::Play(play) => {
                let times = f64::from(play.loop_count.unwrap_or(1).clamp(1, 10));
                if behaviour == Behaviour::HangsUpDuringGreeting {
                    state.wait(1.5).await;
                    return Next::Hangup;
                }
                state.wait(3.0 * times).await;
                listener.heard_greeting = true;
            }
            Verb::Pause(pause) => state.wait(f64::from(pause.length.unwrap_or(1))).await,
            Verb::Hangup(_) => return Next::Hangup,
            Verb::Redirect(redirect) => {
                let Ok(url) = redirect.url.resolve(doc_url) else {
                    return Next::Hangup;
                };
                return Next::Fetch {
                    url,
                    method: method_name(redirect.method),
                    extra: Vec::new(),
                };
            }
            Verb::Gather(gather) => {
                if let Some(next) = gather_input(state, doc_url, gather).await {
                    return next;
                }
            }
            Verb::Record(record) => {
                if behaviour == Behaviour::HangsUpDuringGreeting {
                    return Next::Hangup;
                }
                if let Some(next) = record_story(state, sid, behaviour, doc_url, record, listener).await {
                    return next;
                }
            }
            // A verb this sandbox does not run (none exist yet: the enum is non-exhaustive): Twilio would run it.
            _ => state.wait(1.0).await,
        }
    }
    // Twilio hangs up when a document runs out of verbs.
    Next::Hangup
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

/// What the caller did while `<Record>` listened.
struct Take {
    /// Milliseconds of speech.
    speech_ms: u64,
    /// Milliseconds of silence before the recording ended.
    silence_ms: u64,
    /// What ended it: a key, `hangup`, or nothing (silence timeout, maximum length).
    digits: Option<String>,
    hung_up: bool,
}

fn take_for(behaviour: Behaviour, sample_ms: u64, record: &Record, finish_key: Option<char>) -> Take {
    let max_ms = u64::from(record.max_length.unwrap_or(3600).clamp(1, 14400)) * 1000;
    let timeout_ms = u64::from(record.timeout.unwrap_or(5)) * 1000;
    let silent = |limit_ms: u64| Take {
        speech_ms: 0,
        silence_ms: if timeout_ms == 0 {
            limit_ms
        } else {
            timeout_ms.min(limit_ms)
        },
        digits: None,
        hung_up: timeout_ms == 0,
    };
    match behaviour {
        Behaviour::Silent | Behaviour::AnsweringMachine => silent(max_ms),
        Behaviour::TellsStory if sample_ms <= max_ms => Take {
            speech_ms: sample_ms,
            silence_ms: 0,
            digits: Some("hangup".into()),
            hung_up: true,
        },
        Behaviour::PressesFinishKey if sample_ms <= max_ms => match finish_key {
            Some(key) => Take {
                speech_ms: sample_ms,
                silence_ms: 500,
                digits: Some(key.to_string()),
                hung_up: false,
            },
            // No finish key: they wait in silence until the recording times out.
            None => Take {
                speech_ms: sample_ms,
                silence_ms: timeout_ms.max(1000),
                digits: None,
                hung_up: false,
            },
        },
        // Talks on past the maximum length: the recording is cut there.
        _ => Take {
            speech_ms: max_ms,
            silence_ms: 0,
            digits: None,
            hung_up: false,
        },
    }
}

async fn record_story(
    state: &Arc<State>,
    sid: &CallSid,
    behaviour: Behaviour,
    doc_url: &Url,
    record: &Record,
    listener: &mut Listener,
) -> Option<Next> {
    let to = state
        .calls
        .lock()
        .expect("not poisoned")
        .get(sid)
        .map(|c| c.to.clone())?;
    let sample = Behaviour::sample_for(&to);
    let finish_keys = record.finish_on_key.clone().unwrap_or_else(|| "1234567890*#".into());
    // The storytellers who press a key press the first finish key offered.
    let finish_key = finish_keys.chars().next();
    let behaviour = if listener.told_story && behaviour == Behaviour::TellsStory {
        // Told once already (a document without `action` loops back to the greeting): now they just hang up.
        return Some(Next::Hangup);
    } else {
        behaviour
    };
    let sample_ms = if behaviour == Behaviour::TalksTooLong {
        u64::MAX / 2
    } else {
        media::duration_ms(&media::SAMPLES[sample])
    };
    let take = take_for(behaviour, sample_ms, record, finish_key);

    if record.play_beep != Some(false) {
        state.wait(0.5).await;
    }
    let rec_sid = RecordingSid::from_bytes(super::random_bytes());
    let started = OffsetDateTime::now_utc();
    state.recordings.lock().expect("not poisoned").insert(
        rec_sid.clone(),
        RecordingRecord {
            sid: rec_sid.clone(),
            call_sid: sid.clone(),
            created_at: started,
            status: "in-progress",
            sample,
            pcm: Vec::new(),
            duration_ms: 0,
            deleted: false,
        },
    );
    let events = record.recording_status_callback_event.unwrap_or_default();
    let wants = |e: RecordingEvent| {
        if events.is_empty() {
            e == RecordingEvent::Completed
        } else {
            events.contains(e)
        }
    };
    let callback = match &record.recording_status_callback {
        Some(u) => u
            .resolve(doc_url)
            .ok()
            .map(|u| (u, method_name(record.recording_status_callback_method))),
        None => None,
    };
    let rec_url = format!(
        "{}/2010-04-01/Accounts/{}/Recordings/{rec_sid}",
        state.public_base(),
        state.account_sid
    );
    let rec_params = |status: &str, duration: Option<u64>| {
        let mut p: Vec<(String, String)> = vec![
            ("AccountSid".into(), state.account_sid.to_string()),
            ("CallSid".into(), sid.to_string()),
            ("RecordingSid".into(), rec_sid.to_string()),
            ("RecordingUrl".into(), rec_url.clone()),
            ("RecordingStatus".into(), status.into()),
            ("RecordingChannels".into(), "1".into()),
            ("RecordingSource".into(), "RecordVerb".into()),
            (
                "RecordingStartTime".into(),
                started
                    .format(&time::format_description::well_known::Rfc2822)
                    .unwrap_or_default(),
            ),
            ("ErrorCode".into(), "0".into()),
        ];
        if let Some(d) = duration {
            p.push(("RecordingDuration".into(), d.to_string()));
        }
        p
    };
    if let Some((url, method)) = &callback
        && wants(RecordingEvent::InProgress)
    {
        let (state, url, method, params) = (
            Arc::clone(state),
            url.to_string(),
            method.clone(),
            rec_params("in-progress", None),
        );
        tokio::spawn(async move { deliver(&state, &method, &url, &params).await });
    }

    state.wait((take.speech_ms + take.silence_ms) as f64 / 1000.0).await;
    listener.told_story |= take.speech_ms > 0;

    let mut pcm = media::speech(sample, take.speech_ms);
    pcm.extend(std::iter::repeat_n(
        0i16,
        (take.silence_ms * u64::from(media::SAMPLE_RATE) / 1000) as usize,
    ));
    let untrimmed_ms = pcm.len() as u64 * 1000 / u64::from(media::SAMPLE_RATE);
    if record.trim != Some(Trim::DoNotTrim) {
        trim_silence(&mut pcm);
    }
    let duration_ms = pcm.len() as u64 * 1000 / u64::from(media::SAMPLE_RATE);
    let empty = duration_ms < 1000 || pcm.iter().all(|s| s.unsigned_abs() < 64);
    {
        let mut recs = state.recordings.lock().expect("not poisoned");
        if let Some(r) = recs.get_mut(&rec_sid) {
            r.status = if empty { "absent" } else { "processing" };
            r.duration_ms = if empty { 0 } else { duration_ms };
            r.pcm = if empty { Vec::new() } else { pcm };
        }
    }

    // The recording becomes fetchable only after Twilio has processed it; only the status callback says so.
    {
        let (state, sid_, callback) = (Arc::clone(state), rec_sid.clone(), callback.clone());
        let completed = rec_params("completed", Some((duration_ms + 500) / 1000));
        let absent = rec_params("absent", None);
        let (wants_completed, wants_absent) = (wants(RecordingEvent::Completed), wants(RecordingEvent::Absent));
        tokio::spawn(async move {
            state.wait(1.5).await;
            if !empty && let Some(r) = state.recordings.lock().expect("not poisoned").get_mut(&sid_) {
                r.status = "completed";
            }
            if let Some((url, method)) = callback {
                if !empty && wants_completed {
                    deliver(&state, &method, url.as_str(), &completed).await;
                } else if empty && wants_absent {
                    deliver(&state, &method, url.as_str(), &absent).await;
                }
            }
        });
    }

    if empty {
        // Nothing recorded: the action is skipped and the next verb runs (the documented behaviour Twilio still shows
        // for silent calls; the application must also cope with the action arriving).
        return if take.hung_up { Some(Next::Hangup) } else { None };
    }
    let action = match &record.action {
        Some(a) => a.resolve(doc_url).ok()?,
        // Without `action` Twilio asks for the current document again.
        None => doc_url.clone(),
    };
    let mut extra = vec![
        ("RecordingUrl".into(), rec_url.clone()),
        ("RecordingSid".into(), rec_sid.to_string()),
        ("RecordingDuration".into(), ((untrimmed_ms + 500) / 1000).to_string()),
    ];
    extra.push(("Digits".into(), take.digits.clone().unwrap_or_default()));
    let method = method_name(record.method);
    if take.hung_up {
        // The caller is gone: Twilio still tells the action, and ignores its answer.
        let mut params = common_params(state, sid);
        params.retain(|(k, _)| k != "CallStatus");
        params.push(("CallStatus".into(), "completed".into()));
        params.extend(extra);
        let _ = state
            .http
            .send(&state.auth_token, &method, action.as_str(), &params)
            .await;
        return Some(Next::Hangup);
    }
    Some(Next::Fetch {
        url: action,
        method,
        extra,
    })
}

/// Removes leading and trailing silence, as `trim="trim-silence"` does.
fn trim_silence(pcm: &mut Vec<i16>) {
    const QUIET: u16 = 300;
    let end = pcm.iter().rposition(|s| s.unsigned_abs() > QUIET).map_or(0, |i| i + 1);
    pcm.truncate(end);
    let start = pcm.iter().position(|s| s.unsigned_abs() > QUIET).unwrap_or(pcm.len());
    pcm.drain(..start);
}
