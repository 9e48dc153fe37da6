//! `<Record>`: what the storyteller says, the recording it makes, its status callbacks and the `action` request.

use std::sync::Arc;

use storyline_core::{CallSid, RecordingSid};
use storyline_twiml::{Record, RecordingEvent, Trim};
use time::OffsetDateTime;
use tokio::time::Instant;
use url::Url;

use super::{Listener, Next, method_name};
use crate::media;
use crate::records::{RecordingRecord, random_bytes};
use crate::state::State;
use crate::storyteller::{Behaviour, MID_STORY_PAUSE_SECS};

/// The `ErrorCode` of a recording Twilio could not store. Twilio does not document which code it sends; this one is
/// its "recording processing failed" family, and anything non-zero must be treated alike.
pub(crate) const RECORDING_FAILED: u32 = 16102;

/// What the caller did while `<Record>` listened.
struct Take {
    /// Milliseconds of speech.
    speech_ms: u64,
    /// Milliseconds of silence half-way through the speech.
    pause_ms: u64,
    /// Milliseconds of silence before the recording ended.
    silence_ms: u64,
    /// What ended it: a key, `hangup`, or nothing (silence timeout, maximum length).
    digits: Option<String>,
    hung_up: bool,
}

fn take_for(behaviour: Behaviour, sample_ms: u64, record: &Record, finish_key: Option<char>) -> Take {
    let max_ms = u64::from(record.max_length.unwrap_or(3600).clamp(1, 14400)) * 1000;
    let timeout_ms = u64::from(record.timeout.unwrap_or(5)) * 1000;
    let pause_ms = u64::from(MID_STORY_PAUSE_SECS) * 1000;
    let silent = |limit_ms: u64| Take {
        speech_ms: 0,
        pause_ms: 0,
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
        // Twilio's silence timeout applies within the story too: a longer pause ends the recording.
        Behaviour::PausesMidStory if timeout_ms > 0 && timeout_ms < pause_ms => Take {
            speech_ms: sample_ms / 2,
            pause_ms: 0,
            silence_ms: timeout_ms,
            digits: None,
            hung_up: false,
        },
        Behaviour::PausesMidStory if sample_ms + pause_ms <= max_ms => Take {
            speech_ms: sample_ms,
            pause_ms,
            silence_ms: 0,
            digits: Some("hangup".into()),
            hung_up: true,
        },
        Behaviour::TellsStory | Behaviour::RecordingFails if sample_ms <= max_ms => Take {
            speech_ms: sample_ms,
            pause_ms: 0,
            silence_ms: 0,
            digits: Some("hangup".into()),
            hung_up: true,
        },
        Behaviour::PressesFinishKey if sample_ms <= max_ms => match finish_key {
            Some(key) => Take {
                speech_ms: sample_ms,
                pause_ms: 0,
                silence_ms: 500,
                digits: Some(key.to_string()),
                hung_up: false,
            },
            // No finish key: they wait in silence until the recording times out.
            None => Take {
                speech_ms: sample_ms,
                pause_ms: 0,
                silence_ms: timeout_ms.max(1000),
                digits: None,
                hung_up: false,
            },
        },
        // Talks on past the maximum length: the recording is cut there.
        _ => Take {
            speech_ms: max_ms,
            pause_ms: 0,
            silence_ms: 0,
            digits: None,
            hung_up: false,
        },
    }
}

/// Runs `<Record>` until the caller ends it or, at `deadline`, the call's time limit does: then the recording is
/// finished as when the caller hangs up (`Digits=hangup`, the action told, the recording kept).
pub(super) async fn record_story(
    state: &Arc<State>,
    sid: &CallSid,
    behaviour: Behaviour,
    doc_url: &Url,
    record: &Record,
    listener: &mut Listener<'_>,
    deadline: Instant,
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
    let tells_once = matches!(
        behaviour,
        Behaviour::TellsStory | Behaviour::PausesMidStory | Behaviour::RecordingFails
    );
    let behaviour = if listener.told_story && tells_once {
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

    // The sandbox phone beeps by itself.
    if record.play_beep != Some(false) && listener.phone.is_none() {
        state.wait(0.5).await;
    }
    let rec_sid = RecordingSid::from_bytes(random_bytes());
    let started = OffsetDateTime::now_utc();
    state.recordings.lock().expect("not poisoned").insert(
        rec_sid.clone(),
        RecordingRecord {
            sid: rec_sid.clone(),
            call_sid: sid.clone(),
            created_at: started,
            status: "in-progress",
            sample: listener.phone.is_none().then_some(sample),
            pcm: Vec::new(),
            duration_ms: 0,
            deleted: false,
            ready_at: None,
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
        tokio::spawn(async move { state.deliver(&method, &url, &params).await });
    }

    let (mut pcm, digits, hung_up) = match listener.phone.as_deref_mut() {
        Some(phone) => {
            // The page stops recording at the maximum length, so the time left caps it; the person speaks in real time.
            let left = deadline.saturating_duration_since(Instant::now()).as_secs_f64().ceil() as u32;
            let max_length = record.max_length.unwrap_or(3600).clamp(1, 14400).min(left.max(1));
            let heard = phone
                .record(
                    max_length,
                    record.timeout.unwrap_or(5),
                    &finish_keys,
                    record.play_beep != Some(false),
                )
                .await;
            if Instant::now() >= deadline && !heard.hung_up {
                phone.end_with("The call reached its time limit.");
                (heard.pcm, Some("hangup".into()), true)
            } else {
                (heard.pcm, heard.digits, heard.hung_up)
            }
        }
        None => {
            let left_ms = state.call_ms_until(deadline);
            let take_ms = take.speech_ms + take.pause_ms + take.silence_ms;
            state.wait(take_ms.min(left_ms) as f64 / 1000.0).await;
            listener.told_story |= take.speech_ms > 0;
            let pcm = heard(sample, &take, left_ms);
            if take_ms > left_ms {
                // Twilio ends the call at its limit: the line drops as if the caller had hung up.
                (pcm, Some("hangup".into()), true)
            } else {
                (pcm, take.digits, take.hung_up)
            }
        }
    };
    let untrimmed_ms = pcm.len() as u64 * 1000 / u64::from(media::SAMPLE_RATE);
    if record.trim != Some(Trim::DoNotTrim) {
        trim_silence(&mut pcm);
    }
    let duration_ms = pcm.len() as u64 * 1000 / u64::from(media::SAMPLE_RATE);
    let empty = duration_ms < 1000 || pcm.iter().all(|s| s.unsigned_abs() < 64);
    let lost = !empty && behaviour == Behaviour::RecordingFails;
    {
        let mut recs = state.recordings.lock().expect("not poisoned");
        if let Some(r) = recs.get_mut(&rec_sid) {
            r.status = if empty { "absent" } else { "processing" };
            r.duration_ms = if empty || lost { 0 } else { duration_ms };
            r.pcm = if empty || lost { Vec::new() } else { pcm };
        }
    }

    // The recording becomes fetchable only after Twilio has processed it; only the status callback says so.
    {
        let (state, sid_, callback) = (Arc::clone(state), rec_sid.clone(), callback.clone());
        let completed = rec_params("completed", Some((duration_ms + 500) / 1000));
        let absent = rec_params("absent", None);
        let mut failed = rec_params("failed", None);
        for (name, value) in &mut failed {
            if name == "ErrorCode" {
                *value = RECORDING_FAILED.to_string();
            }
        }
        let (wants_completed, wants_absent) = (wants(RecordingEvent::Completed), wants(RecordingEvent::Absent));
        tokio::spawn(async move {
            state.wait(1.5).await;
            if !empty && let Some(r) = state.recordings.lock().expect("not poisoned").get_mut(&sid_) {
                r.status = if lost { "failed" } else { "completed" };
                let hold = state.faults.media_404 / state.speed;
                r.ready_at = Some(std::time::Instant::now() + std::time::Duration::from_secs_f64(hold));
            }
            if let Some((url, method)) = callback {
                // A failed recording ends where a completed one would, so it goes to whoever asked for `completed`.
                if lost && wants_completed {
                    state.deliver(&method, url.as_str(), &failed).await;
                } else if !empty && wants_completed {
                    state.deliver(&method, url.as_str(), &completed).await;
                } else if empty && wants_absent {
                    state.deliver(&method, url.as_str(), &absent).await;
                }
            }
        });
    }

    if empty {
        // Nothing recorded: the action is skipped and the next verb runs (the documented behaviour Twilio still shows
        // for silent calls; the application must also cope with the action arriving).
        return if hung_up { Some(Next::Hangup) } else { None };
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
    extra.push(("Digits".into(), digits.unwrap_or_default()));
    let method = method_name(record.method);
    if hung_up {
        // The caller is gone: Twilio still tells the action, and ignores its answer.
        let mut params = state.common_params(sid);
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

fn samples(ms: u64) -> usize {
    (ms * u64::from(media::SAMPLE_RATE) / 1000) as usize
}

fn silence(ms: u64) -> impl Iterator<Item = i16> {
    std::iter::repeat_n(0, samples(ms))
}

/// The audio of `take`, told from sample story `sample`, up to the first `left_ms` milliseconds: the pause falls
/// half-way through the speech, the silence after it.
fn heard(sample: usize, take: &Take, left_ms: u64) -> Vec<i16> {
    let speech = media::speech(sample, take.speech_ms.min(left_ms));
    let half = speech.len().min(samples(take.speech_ms) / 2);
    let (before, after) = speech.split_at(half);
    before
        .iter()
        .copied()
        .chain(silence(take.pause_ms))
        .chain(after.iter().copied())
        .chain(silence(take.silence_ms))
        .take(samples(left_ms))
        .collect()
}

/// Removes leading and trailing silence, as `trim="trim-silence"` does.
fn trim_silence(pcm: &mut Vec<i16>) {
    const QUIET: u16 = 300;
    let end = pcm.iter().rposition(|s| s.unsigned_abs() > QUIET).map_or(0, |i| i + 1);
    pcm.truncate(end);
    let start = pcm.iter().position(|s| s.unsigned_abs() > QUIET).unwrap_or(pcm.len());
    pcm.drain(..start);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(speech_ms: u64, pause_ms: u64, silence_ms: u64) -> Take {
        Take {
            speech_ms,
            pause_ms,
            silence_ms,
            digits: None,
            hung_up: false,
        }
    }

    #[test]
    fn a_take_the_limit_does_not_reach_is_heard_whole_with_its_pause_half_way() {
        let pcm = heard(0, &take(4000, 1000, 500), 60_000);
        assert_eq!(pcm.len(), samples(5500));
        assert_eq!(&pcm[..samples(2000)], &media::speech(0, 2000)[..]);
        assert!(pcm[samples(2000)..samples(3000)].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_take_the_limit_cuts_keeps_what_was_said_before_it() {
        let pcm = heard(0, &take(4000, 1000, 500), 2500);
        assert_eq!(pcm.len(), samples(2500));
        assert_eq!(&pcm[..samples(2000)], &media::speech(0, 2000)[..]);
        let pcm = heard(0, &take(4000, 0, 0), 1500);
        assert_eq!(pcm, media::speech(0, 1500));
    }
}
