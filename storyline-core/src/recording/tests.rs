use super::*;

fn call() -> CallSid {
    CallSid::from_bytes([0xca; 16])
}

fn rec() -> RecordingSid {
    RecordingSid::from_bytes([0xee; 16])
}

fn url() -> String {
    format!(
        "https://api.twilio.com/2010-04-01/Accounts/AC{}/Recordings/{}",
        "0".repeat(32),
        rec()
    )
}

fn call_status(status: &str) -> Event {
    Event::CallStatus(CallStatusCallback {
        call_sid: call(),
        call_status: status.into(),
        sequence_number: None,
        call_duration: None,
    })
}

fn answered(by: Option<&str>) -> Event {
    Event::CallAnswered(CallAnswered {
        call_sid: call(),
        answered_by: by.map(AnsweredBy::from),
    })
}

fn recording_status(status: &str, duration: Option<u32>) -> Event {
    Event::RecordingStatus(RecordingStatusCallback {
        call_sid: call(),
        recording_sid: rec(),
        recording_status: status.into(),
        recording_url: Some(url()),
        recording_duration: duration,
        error_code: (status == "failed").then_some(16104),
    })
}

fn action(digits: &str) -> Event {
    Event::RecordAction(RecordAction {
        call_sid: call(),
        recording_sid: None,
        recording_url: Some(url()),
        recording_duration: Some(42),
        digits: Some(digits.to_owned()),
    })
}

fn stored(path: &str) -> Event {
    Event::MediaStored {
        recording_sid: rec(),
        media: StoredMedia {
            path: path.to_owned(),
            size_bytes: 672_044,
            duration_secs: Some(42),
            duration_ms: Some(42_000),
        },
    }
}

fn storage_failed(attempt: u32, retryable: bool) -> Event {
    Event::StorageFailed {
        recording_sid: rec(),
        attempt,
        retryable,
        reason: "connection reset".to_owned(),
    }
}

fn reconciled(attempt: u32, status: &str, recordings: &[(&str, Option<u32>)]) -> Event {
    Event::Reconciled(Reconciliation {
        attempt,
        call_sid: call(),
        call_status: status.into(),
        call_duration: Some(60),
        recordings: recordings
            .iter()
            .map(|(status, duration)| RecordingReport {
                recording_sid: rec(),
                status: (*status).into(),
                duration_secs: *duration,
                media_url: Some(url()),
                error_code: None,
            })
            .collect(),
    })
}

/// Applies events in order, panicking on an error; returns the recording and every effect.
fn run(events: &[Event]) -> (Recording, Vec<Effect>) {
    let mut recording = Recording::new();
    let mut effects = Vec::new();
    for event in events {
        let transition = recording.apply(event).unwrap_or_else(|e| panic!("{event:?}: {e}"));
        recording = transition.recording;
        effects.extend(transition.effects);
    }
    (recording, effects)
}

fn status_after(events: &[Event]) -> Status {
    run(events).0.status()
}

fn copy_media() -> Effect {
    Effect::CopyMedia {
        recording_sid: rec(),
        media_url: Some(url()),
        attempt: 1,
    }
}

#[test]
fn follows_the_happy_path_step_by_step() {
    let steps = [
        (Event::CallPlaced { call_sid: call() }, Status::Calling),
        (call_status("initiated"), Status::Calling),
        (call_status("ringing"), Status::Ringing),
        (call_status("in-progress"), Status::InProgress),
        (answered(Some("human")), Status::InProgress),
        (recording_status("in-progress", None), Status::Recording),
        (action("#"), Status::Processing),
        (recording_status("completed", Some(42)), Status::Processing),
        (call_status("completed"), Status::Processing),
        (stored("stories/abc.mp3"), Status::Complete),
    ];
    let mut recording = Recording::new();
    for (event, expected) in steps {
        recording = recording.apply(&event).unwrap().recording;
        assert_eq!(recording.status(), expected, "after {event:?}");
    }
    assert_eq!(recording.finish_digits(), Some("#"));
    assert_eq!(recording.duration_secs(), Some(42));
    assert_eq!(recording.stored_media().unwrap().path, "stories/abc.mp3");
}

#[test]
fn asks_to_copy_the_media_once_then_to_delete_twilios_copy_once_stored() {
    let (recording, effects) = run(&[
        recording_status("in-progress", None),
        recording_status("completed", Some(42)),
    ]);
    assert_eq!(effects.iter().filter(|e| **e == copy_media()).count(), 1);
    let done = recording.apply(&stored("a.mp3")).unwrap();
    assert_eq!(
        done.effects,
        [
            Effect::DeleteTwilioRecording { recording_sid: rec() },
            Effect::Notify {
                status: Status::Complete
            }
        ]
    );
}

#[test]
fn ignores_a_ringing_that_arrives_after_the_answer() {
    assert_eq!(
        status_after(&[call_status("in-progress"), call_status("ringing")]),
        Status::InProgress
    );
    assert_eq!(
        status_after(&[call_status("no-answer"), call_status("ringing")]),
        Status::NoAnswer
    );
}

#[test]
fn waits_for_the_recording_when_the_call_ends_while_recording() {
    let (recording, effects) = run(&[
        answered(None),
        recording_status("in-progress", None),
        call_status("completed"),
    ]);
    assert_eq!(recording.status(), Status::Processing);
    assert!(effects.contains(&Effect::ScheduleReconcile {
        call_sid: call(),
        attempt: 1,
        after_secs: RECONCILE_FIRST_DELAY_SECS
    }));
    let done = recording.apply(&recording_status("completed", Some(30))).unwrap();
    assert_eq!(done.recording.status(), Status::Processing);
    assert!(done.effects.contains(&copy_media()));
}

#[test]
fn a_late_completed_recording_wins_over_hung_up() {
    let (recording, _) = run(&[answered(Some("human")), call_status("completed")]);
    assert_eq!(recording.status(), Status::HungUp);
    let saved = recording.apply(&recording_status("completed", Some(9))).unwrap();
    assert_eq!(saved.recording.status(), Status::Processing);
}

#[test]
fn ends_each_way_a_call_can_end_before_it_is_answered() {
    for (wire, status) in [
        ("busy", Status::Busy),
        ("no-answer", Status::NoAnswer),
        ("failed", Status::Failed),
        ("canceled", Status::Canceled),
    ] {
        let events = [
            Event::CallPlaced { call_sid: call() },
            call_status("ringing"),
            call_status(wire),
        ];
        assert_eq!(status_after(&events), status, "{wire}");
    }
    let failed = run(&[call_status("failed")]).0;
    assert_eq!(failed.failure().unwrap().message, "the call could not be connected");
}

#[test]
fn nothing_said_ends_no_recording() {
    let absent = [
        answered(None),
        recording_status("absent", None),
        call_status("completed"),
    ];
    assert_eq!(status_after(&absent), Status::NoRecording);

    let (empty, effects) = run(&[recording_status("completed", Some(0))]);
    assert_eq!(empty.status(), Status::NoRecording);
    assert!(!effects.iter().any(|e| matches!(e, Effect::CopyMedia { .. })));
    assert!(effects.contains(&Effect::DeleteTwilioRecording { recording_sid: rec() }));
}

#[test]
fn an_answering_machine_ends_machine() {
    for by in ["machine_start", "machine_end_beep", "fax"] {
        let events = [call_status("in-progress"), answered(Some(by)), call_status("completed")];
        assert_eq!(status_after(&events), Status::Machine, "{by}");
    }
    assert_eq!(status_after(&[answered(Some("unknown"))]), Status::InProgress);
}

#[test]
fn a_failed_recording_ends_failed_with_twilios_code() {
    let (recording, _) = run(&[recording_status("failed", None), call_status("completed")]);
    assert_eq!(recording.status(), Status::Failed);
    assert_eq!(recording.failure().unwrap().code, Some(16104));
}

#[test]
fn keeps_processing_while_storage_is_retried_then_completes() {
    let (recording, _) = run(&[recording_status("completed", Some(42))]);
    let failed = recording.apply(&storage_failed(1, true)).unwrap();
    assert_eq!(failed.recording.status(), Status::Processing);
    assert_eq!(
        failed.effects,
        [Effect::ScheduleStorageRetry {
            recording_sid: rec(),
            media_url: Some(url()),
            attempt: 2,
            after_secs: STORAGE_RETRY_FIRST_DELAY_SECS,
        }]
    );
    assert_eq!(failed.recording.storage_error(), Some("connection reset"));
    // A stale report of an earlier attempt changes nothing.
    let stale = failed.recording.apply(&storage_failed(1, true)).unwrap();
    assert!(stale.effects.is_empty());

    let done = failed.recording.apply(&stored("a.mp3")).unwrap().recording;
    assert_eq!(done.status(), Status::Complete);
    assert_eq!(done.storage_error(), None);
    let late = done.apply(&storage_failed(2, true)).unwrap();
    assert_eq!(late.recording, done);
    assert!(late.effects.is_empty());
}

#[test]
fn a_storage_failure_that_cannot_be_retried_is_escalated_not_lost() {
    let (recording, _) = run(&[recording_status("completed", Some(42))]);
    let stuck = recording.apply(&storage_failed(1, false)).unwrap();
    assert_eq!(stuck.recording.status(), Status::Processing);
    assert!(matches!(&stuck.effects[..], [Effect::StorageStuck { .. }]));
    assert!(stuck.recording.pending_effects().is_empty());
}

#[test]
fn keeps_the_first_stored_copy() {
    let (recording, _) = run(&[recording_status("completed", Some(42)), stored("first.mp3")]);
    let second = recording.apply(&stored("second.mp3")).unwrap();
    assert_eq!(second.recording, recording);
    assert!(second.effects.is_empty());
}

#[test]
fn complete_is_final_for_call_events() {
    let (done, _) = run(&[recording_status("completed", Some(42)), stored("a.mp3")]);
    for event in [
        call_status("ringing"),
        call_status("busy"),
        call_status("completed"),
        answered(Some("machine_start")),
        recording_status("absent", None),
    ] {
        assert_eq!(done.apply(&event).unwrap().recording.status(), Status::Complete);
    }
}

#[test]
fn a_rejected_call_fails_and_accepts_no_call_events() {
    let rejected = Event::CallRejected {
        code: Some(21215),
        message: "account not authorized to call +44".to_owned(),
    };
    let (recording, effects) = run(std::slice::from_ref(&rejected));
    assert_eq!(recording.status(), Status::Failed);
    assert_eq!(effects, [Effect::Notify { status: Status::Failed }]);
    assert_eq!(recording.failure().unwrap().code, Some(21215));
    assert_eq!(
        recording.apply(&Event::CallPlaced { call_sid: call() }),
        Err(TransitionError::AlreadyRejected)
    );
    assert_eq!(
        recording.apply(&call_status("ringing")),
        Err(TransitionError::AlreadyRejected)
    );
    let placed = run(&[Event::CallPlaced { call_sid: call() }]).0;
    assert_eq!(placed.apply(&rejected), Err(TransitionError::AlreadyPlaced));
}

#[test]
fn refuses_events_about_another_call_or_recording() {
    let (recording, _) = run(&[
        Event::CallPlaced { call_sid: call() },
        recording_status("in-progress", None),
    ]);
    let other_call = CallSid::from_bytes([1; 16]);
    assert_eq!(
        recording.apply(&Event::CallPlaced {
            call_sid: other_call.clone()
        }),
        Err(TransitionError::WrongCall {
            expected: call(),
            found: other_call
        })
    );
    let other_recording = RecordingSid::from_bytes([2; 16]);
    let mut event = recording_status("completed", Some(3));
    if let Event::RecordingStatus(callback) = &mut event {
        callback.recording_sid = other_recording.clone();
    }
    assert_eq!(
        recording.apply(&event),
        Err(TransitionError::WrongRecording {
            expected: rec(),
            found: other_recording
        })
    );
}

#[test]
fn refuses_storage_reports_without_a_completed_recording() {
    let (recording, _) = run(&[recording_status("in-progress", None)]);
    assert_eq!(
        recording.apply(&stored("a.mp3")),
        Err(TransitionError::NothingToStore(rec()))
    );
    let (empty, _) = run(&[recording_status("completed", Some(0))]);
    assert_eq!(
        empty.apply(&storage_failed(1, true)),
        Err(TransitionError::NothingToStore(rec()))
    );
}

#[test]
fn reports_unknown_status_values_and_changes_nothing() {
    let recording = Recording::new();
    assert_eq!(
        recording.apply(&call_status("answered")),
        Err(TransitionError::Unrecognised {
            field: "CallStatus",
            value: "answered".to_owned()
        })
    );
    assert!(recording.apply(&recording_status("archived", None)).is_err());
    assert_eq!(run(&[recording_status("deleted", None)]).0.status(), Status::Calling);
}

#[test]
fn reconciliation_recovers_a_recording_whose_callbacks_were_lost() {
    let (hung_up, effects) = run(&[answered(None), call_status("completed")]);
    assert_eq!(hung_up.status(), Status::HungUp);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ScheduleReconcile { attempt: 1, .. }))
    );

    let found = hung_up
        .apply(&reconciled(1, "completed", &[("completed", Some(42))]))
        .unwrap();
    assert_eq!(found.recording.status(), Status::Processing);
    assert!(found.effects.contains(&copy_media()));

    let confirmed = hung_up.apply(&reconciled(1, "completed", &[])).unwrap();
    assert_eq!(confirmed.recording.status(), Status::HungUp);
    assert!(confirmed.effects.is_empty());
}

#[test]
fn reconciliation_settles_a_recording_that_never_reported() {
    let (waiting, _) = run(&[recording_status("in-progress", None), call_status("completed")]);
    let still = waiting
        .apply(&reconciled(1, "completed", &[("processing", None)]))
        .unwrap();
    assert_eq!(still.recording.status(), Status::Processing);
    assert_eq!(
        still.effects,
        [Effect::ScheduleReconcile {
            call_sid: call(),
            attempt: 2,
            after_secs: 120
        }]
    );
    let repeat = still.recording.apply(&reconciled(1, "completed", &[])).unwrap();
    assert_eq!(repeat.recording, still.recording);

    let gone = still.recording.apply(&reconciled(2, "completed", &[])).unwrap();
    assert_eq!(gone.recording.status(), Status::NoRecording);
}

#[test]
fn reconciliation_finds_the_ending_of_a_call_whose_callbacks_were_lost() {
    let (recording, _) = run(&[Event::CallPlaced { call_sid: call() }]);
    let ended = recording.apply(&reconciled(1, "no-answer", &[])).unwrap();
    assert_eq!(ended.recording.status(), Status::NoAnswer);
}

#[test]
fn pending_effects_resume_a_copy_after_a_restart() {
    let (recording, _) = run(&[recording_status("completed", Some(42)), storage_failed(1, true)]);
    assert_eq!(
        recording.pending_effects(),
        [Effect::CopyMedia {
            recording_sid: rec(),
            media_url: Some(url()),
            attempt: 2
        }]
    );
    let (done, _) = run(&[recording_status("completed", Some(42)), stored("a.mp3")]);
    assert!(done.pending_effects().is_empty());
}

#[test]
fn serialises_and_restores_every_fact() {
    let (recording, _) = run(&[
        Event::CallPlaced { call_sid: call() },
        answered(Some("human")),
        action("hangup"),
        recording_status("completed", Some(42)),
        call_status("completed"),
        storage_failed(1, true),
    ]);
    let json = serde_json::to_string(&recording).unwrap();
    let restored: Recording = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, recording);
    assert_eq!(restored.status(), Status::Processing);
}

#[test]
fn a_completed_recording_outranks_absent_and_failed_in_either_order() {
    for other in ["absent", "failed"] {
        let first = [recording_status(other, None), recording_status("completed", Some(5))];
        assert_eq!(status_after(&first), Status::Processing, "{other} first");
        let last = [recording_status("completed", Some(5)), recording_status(other, None)];
        assert_eq!(status_after(&last), Status::Processing, "{other} last");
    }
    let absent_then_failed = [recording_status("absent", None), recording_status("failed", None)];
    assert_eq!(status_after(&absent_then_failed), Status::Failed);
}
