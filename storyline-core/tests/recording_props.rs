//! Property tests of the recording state machine: real event sequences for each way a call
//! goes, shuffled and with some events repeated, as Twilio's separate callbacks can arrive.

use proptest::prelude::*;
use storyline_core::recording::{
    CallAnswered, CallStatusCallback, Effect, Event, RecordAction, Recording, RecordingStatusCallback, Status,
    StoredMedia,
};
use storyline_core::{CallSid, RecordingSid};

const ACCOUNT: &str = "AC3f1b5c7d9e0a2b4c6d8e0f1a3b5c7d9e";
const CALL: &str = "CA9d4e1f6a2b7c3d8e4f9a0b5c1d6e2f7a";
const RECORDING: &str = "RE2c7d1e8f3a9b4c0d5e1f6a2b7c3d8e9f";

fn call_sid() -> CallSid {
    CALL.parse().unwrap()
}

fn recording_sid() -> RecordingSid {
    RECORDING.parse().unwrap()
}

fn recording_url() -> String {
    format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}")
}

fn placed() -> Event {
    Event::CallPlaced { call_sid: call_sid() }
}

fn call(status: &str, sequence: u32, duration: Option<u32>) -> Event {
    Event::CallStatus(CallStatusCallback {
        call_sid: call_sid(),
        call_status: status.into(),
        sequence_number: Some(sequence),
        call_duration: duration,
    })
}

fn answered(by: &str) -> Event {
    Event::CallAnswered(CallAnswered {
        call_sid: call_sid(),
        answered_by: Some(by.into()),
    })
}

fn record_action(digits: Option<&str>, duration: u32) -> Event {
    Event::RecordAction(RecordAction {
        call_sid: call_sid(),
        recording_sid: Some(recording_sid()),
        recording_url: Some(recording_url()),
        recording_duration: Some(duration),
        digits: digits.map(str::to_owned),
    })
}

fn recording(status: &str, duration: Option<u32>) -> Event {
    Event::RecordingStatus(RecordingStatusCallback {
        call_sid: call_sid(),
        recording_sid: recording_sid(),
        recording_status: status.into(),
        recording_url: Some(recording_url()),
        recording_duration: duration,
        error_code: None,
    })
}

fn stored() -> Event {
    Event::MediaStored {
        recording_sid: recording_sid(),
        media: StoredMedia {
            path: format!("recordings/{RECORDING}.mp3"),
            size_bytes: 1_520_640,
            duration_secs: Some(95),
            duration_ms: Some(95_040),
        },
    }
}

#[derive(Debug, Clone)]
struct Scenario {
    name: &'static str,
    events: Vec<Event>,
    ends: Status,
    /// Whether a story was recorded, so the machine must ask to store it.
    story: bool,
}

fn scenario(name: &'static str, events: Vec<Event>, ends: Status) -> Scenario {
    let story = ends == Status::Processing;
    Scenario {
        name,
        events,
        ends,
        story,
    }
}

/// The events Twilio sends up to the moment the storyteller hears the greeting.
fn answered_call(by: &str) -> Vec<Event> {
    vec![
        placed(),
        call("initiated", 0, None),
        call("ringing", 1, None),
        call("in-progress", 2, None),
        answered(by),
    ]
}

fn with(mut head: Vec<Event>, tail: impl IntoIterator<Item = Event>) -> Vec<Event> {
    head.extend(tail);
    head
}

fn scenarios() -> Vec<Scenario> {
    vec![
        scenario(
            "happy path, finish key",
            with(
                answered_call("human"),
                [
                    recording("in-progress", None),
                    record_action(Some("#"), 95),
                    recording("completed", Some(95)),
                    call("completed", 3, Some(104)),
                ],
            ),
            Status::Processing,
        ),
        scenario(
            "story told, then hung up",
            with(
                answered_call("human"),
                [
                    recording("in-progress", None),
                    record_action(Some("hangup"), 61),
                    recording("completed", Some(61)),
                    call("completed", 3, Some(70)),
                ],
            ),
            Status::Processing,
        ),
        scenario(
            "long story cut at max length",
            with(
                answered_call("unknown"),
                [
                    recording("in-progress", None),
                    record_action(None, 3600),
                    recording("completed", Some(3600)),
                    call("completed", 3, Some(3611)),
                ],
            ),
            Status::Processing,
        ),
        scenario(
            "hung up during the greeting",
            with(answered_call("human"), [call("completed", 3, Some(6))]),
            Status::HungUp,
        ),
        scenario(
            "silence: twilio reports absent",
            with(
                answered_call("human"),
                [
                    recording("in-progress", None),
                    recording("absent", None),
                    call("completed", 3, Some(15)),
                ],
            ),
            Status::NoRecording,
        ),
        scenario(
            "silence: an empty recording",
            with(
                answered_call("human"),
                [
                    recording("in-progress", None),
                    record_action(None, 0),
                    recording("completed", Some(0)),
                    call("completed", 3, Some(15)),
                ],
            ),
            Status::NoRecording,
        ),
        scenario(
            "answering machine",
            with(answered_call("machine_end_beep"), [call("completed", 3, Some(31))]),
            Status::Machine,
        ),
        scenario(
            "busy",
            vec![placed(), call("initiated", 0, None), call("busy", 1, Some(0))],
            Status::Busy,
        ),
        scenario(
            "no answer",
            vec![
                placed(),
                call("initiated", 0, None),
                call("ringing", 1, None),
                call("no-answer", 2, Some(0)),
            ],
            Status::NoAnswer,
        ),
        scenario(
            "call failed",
            vec![placed(), call("initiated", 0, None), call("failed", 1, Some(0))],
            Status::Failed,
        ),
        scenario(
            "call refused by twilio",
            vec![Event::CallRejected {
                code: Some(21211),
                message: "invalid 'To' phone number".to_owned(),
            }],
            Status::Failed,
        ),
        scenario(
            "canceled while queued",
            vec![placed(), call("queued", 0, None), call("canceled", 1, Some(0))],
            Status::Canceled,
        ),
    ]
}

/// A scenario with its events shuffled and up to three of them repeated.
fn arrival() -> impl Strategy<Value = (Scenario, Vec<Event>)> {
    proptest::sample::select(scenarios()).prop_flat_map(|scenario| {
        let count = scenario.events.len();
        proptest::collection::vec(0..count, 0..=3).prop_flat_map(move |repeats| {
            let mut events = scenario.events.clone();
            events.extend(repeats.iter().map(|&i| scenario.events[i].clone()));
            (Just(scenario.clone()), Just(events).prop_shuffle())
        })
    })
}

/// Position of an on-the-way status; endings have none.
fn on_the_way(status: Status) -> Option<u8> {
    match status {
        Status::Calling => Some(0),
        Status::Ringing => Some(1),
        Status::InProgress => Some(2),
        Status::Recording => Some(3),
        Status::Processing => Some(4),
        _ => None,
    }
}

fn run(events: &[Event]) -> Result<(Recording, Vec<Effect>), TestCaseError> {
    let mut state = Recording::new();
    let mut effects = Vec::new();
    let mut story_completed = false;
    for event in events {
        let transition = state
            .apply(event)
            .map_err(|e| TestCaseError::fail(format!("{event:?} refused: {e}")))?;
        let (before, after) = (state.status(), transition.recording.status());
        if let (Some(a), Some(b)) = (on_the_way(before), on_the_way(after)) {
            prop_assert!(b >= a, "{before} went back to {after} on {event:?}");
        }
        if before == Status::Complete {
            prop_assert_eq!(after, Status::Complete);
        }
        story_completed |= matches!(event, Event::RecordingStatus(cb)
            if cb.recording_status.as_str() == "completed" && cb.recording_duration != Some(0));
        if story_completed {
            prop_assert!(
                matches!(after, Status::Processing | Status::Complete),
                "a completed story was reported {after}"
            );
        }
        state = transition.recording;
        effects.extend(transition.effects);
    }
    Ok((state, effects))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_arrival_order_reaches_the_scenarios_ending((scenario, events) in arrival()) {
        let (state, effects) = run(&events)?;
        prop_assert_eq!(state.status(), scenario.ends, "{}", scenario.name);

        // Order and repetition do not change what is known.
        let (in_order, _) = run(&scenario.events)?;
        prop_assert_eq!(&state, &in_order, "{}", scenario.name);

        let copies = effects.iter().filter(|e| matches!(e, Effect::CopyMedia { .. })).count();
        if scenario.story {
            prop_assert_eq!(state.recording_sid(), Some(&recording_sid()));
            prop_assert_eq!(copies, 1, "{}", scenario.name);
            let done = state.apply(&stored()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(done.recording.status(), Status::Complete);
            let delete = Effect::DeleteTwilioRecording { recording_sid: recording_sid() };
            prop_assert!(done.effects.contains(&delete));
        } else {
            prop_assert_eq!(copies, 0, "{}", scenario.name);
        }
    }

    #[test]
    fn applying_an_event_twice_equals_applying_it_once(
        (_, events) in arrival(),
        prefix in any::<proptest::sample::Index>(),
        pick in any::<proptest::sample::Index>(),
    ) {
        let (state, _) = run(&events[..prefix.index(events.len() + 1)])?;
        let event = pick.get(&events);
        let once = state.apply(event);
        if let Ok(once) = once {
            let twice = once.recording.apply(event).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&twice.recording, &once.recording);
            prop_assert!(twice.effects.is_empty(), "{:?} repeated gave {:?}", event, twice.effects);
        } else {
            prop_assert_eq!(state.apply(event), once);
        }
    }

    #[test]
    fn storage_failures_then_success_end_complete(
        (scenario, events) in arrival().prop_filter("a story was told", |(s, _)| s.story),
        failures in 0u32..6,
        repeats in proptest::collection::vec(any::<proptest::sample::Index>(), 0..3),
    ) {
        let (mut state, _) = run(&events)?;
        let reports: Vec<Event> = (1..=failures)
            .map(|attempt| Event::StorageFailed {
                recording_sid: recording_sid(),
                attempt,
                retryable: true,
                reason: "upstream timed out".to_owned(),
            })
            .collect();
        let mut arriving = reports.clone();
        if !reports.is_empty() {
            arriving.extend(repeats.iter().map(|i| i.get(&reports).clone()));
        }
        let mut retries = 0;
        for report in &arriving {
            let transition = state.apply(report).map_err(|e| TestCaseError::fail(e.to_string()))?;
            retries += transition.effects.iter()
                .filter(|e| matches!(e, Effect::ScheduleStorageRetry { .. }))
                .count();
            state = transition.recording;
            prop_assert_eq!(state.status(), Status::Processing, "{}", scenario.name);
        }
        prop_assert_eq!(retries, failures as usize);
        let done = state.apply(&stored()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(done.recording.status(), Status::Complete);
        prop_assert_eq!(done.recording.storage_failures(), failures);
    }
}
