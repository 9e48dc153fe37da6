//! [`Recording`]: the facts known about one call, how events merge into them, and the status
//! and effects derived from them.

use serde::{Deserialize, Serialize};

use super::effect::{reconcile_delay_secs, storage_retry_delay_secs};
use super::{AnsweredBy, Effect, Event, Failure, Status, StoredMedia, Transition, TransitionError};
use crate::{CallSid, RecordingSid};

mod merge;

/// What is known about one story's call and recording.
///
/// Build one with [`Recording::new`] when the storyteller submits the form, advance it with
/// [`Recording::apply`]. It serialises with serde so the server can store it whole; the
/// fields are private and may change between minor versions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Recording {
    call_sid: Option<CallSid>,
    rejection: Option<Rejection>,
    progress: Progress,
    answered_by: Option<AnsweredBy>,
    call_end: Option<CallEnd>,
    recording_sid: Option<RecordingSid>,
    recording_started: bool,
    action: Option<ActionSeen>,
    outcome: Option<Outcome>,
    storage: Storage,
    reconciled: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Rejection {
    code: Option<u32>,
    message: String,
}

/// How far the call got; only ever raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Progress {
    #[default]
    Calling,
    Ringing,
    Answered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CallEnding {
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CallEnd {
    ending: CallEnding,
    duration_secs: Option<u32>,
}

/// What the `<Record action>` request said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ActionSeen {
    recording_url: Option<String>,
    duration_secs: Option<u32>,
    digits: Option<String>,
}

/// The recording's outcome; a higher [`Outcome::rank`] replaces a lower one, never the reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
enum Outcome {
    /// Twilio's REST API lists no recording for the ended call.
    NotFound,
    Absent,
    Failed {
        error_code: Option<u32>,
    },
    Completed {
        media_url: Option<String>,
        duration_secs: Option<u32>,
    },
}

impl Outcome {
    fn rank(&self) -> u8 {
        match self {
            Outcome::NotFound => 0,
            Outcome::Absent => 1,
            Outcome::Failed { .. } => 2,
            Outcome::Completed { .. } => 3,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Storage {
    failed_attempts: u32,
    last_error: Option<String>,
    stuck: bool,
    stored: Option<StoredMedia>,
}

impl Recording {
    /// A recording whose call is about to be placed: status `calling`.
    pub fn new() -> Recording {
        Recording::default()
    }

    /// Applies one event; see the [module documentation](super) for the rules.
    pub fn apply(&self, event: &Event) -> Result<Transition, TransitionError> {
        let mut next = self.clone();
        next.absorb(event)?;
        let effects = next.effects_since(self, event);
        Ok(Transition {
            recording: next,
            effects,
        })
    }

    /// The status the page shows.
    pub fn status(&self) -> Status {
        if self.storage.stored.is_some() {
            return Status::Complete;
        }
        match &self.outcome {
            Some(Outcome::Completed { .. }) if self.is_empty_recording() => {
                return Status::NoRecording;
            }
            Some(Outcome::Completed { .. }) => return Status::Processing,
            Some(Outcome::Failed { .. }) => return Status::Failed,
            Some(Outcome::Absent) => return Status::NoRecording,
            Some(Outcome::NotFound) | None => {}
        }
        if self.rejection.is_some() {
            return Status::Failed;
        }
        if self.answered_by.as_ref().is_some_and(AnsweredBy::is_machine) {
            return Status::Machine;
        }
        let began_recording = self.recording_started || self.action.is_some();
        match self.call_end.as_ref().map(|end| end.ending) {
            Some(CallEnding::Completed) if began_recording => match self.outcome {
                Some(Outcome::NotFound) => Status::NoRecording,
                _ => Status::Processing,
            },
            Some(CallEnding::Completed) => Status::HungUp,
            Some(CallEnding::Busy) => Status::Busy,
            Some(CallEnding::Failed) => Status::Failed,
            Some(CallEnding::NoAnswer) => Status::NoAnswer,
            Some(CallEnding::Canceled) => Status::Canceled,
            None if self.action.is_some() => Status::Processing,
            None if self.recording_started => Status::Recording,
            None => match self.progress {
                Progress::Calling => Status::Calling,
                Progress::Ringing => Status::Ringing,
                Progress::Answered => Status::InProgress,
            },
        }
    }

    /// Whether the status is an ending; see [`Status::is_final`].
    pub fn is_final(&self) -> bool {
        self.status().is_final()
    }

    /// The call's SID, once Twilio has named the call.
    pub fn call_sid(&self) -> Option<&CallSid> {
        self.call_sid.as_ref()
    }

    /// The recording's SID, once Twilio has named it.
    pub fn recording_sid(&self) -> Option<&RecordingSid> {
        self.recording_sid.as_ref()
    }

    /// Twilio's URL of the recording's media, while Twilio still has it.
    pub fn twilio_media_url(&self) -> Option<&str> {
        match &self.outcome {
            Some(Outcome::Completed {
                media_url: Some(url), ..
            }) => Some(url),
            _ => self.action.as_ref()?.recording_url.as_deref(),
        }
    }

    /// The story's length in seconds: as stored, else as Twilio reported it.
    pub fn duration_secs(&self) -> Option<u32> {
        let stored = self.storage.stored.as_ref().and_then(|m| m.duration_secs);
        let completed = match &self.outcome {
            Some(Outcome::Completed { duration_secs, .. }) => *duration_secs,
            _ => None,
        };
        let action = self.action.as_ref().and_then(|a| a.duration_secs);
        stored.or(completed).or(action)
    }

    /// The call's length in seconds, once it ended.
    pub fn call_duration_secs(&self) -> Option<u32> {
        self.call_end.as_ref()?.duration_secs
    }

    /// Who answered, when machine detection said.
    pub fn answered_by(&self) -> Option<&AnsweredBy> {
        self.answered_by.as_ref()
    }

    /// The key that ended the recording, or `hangup`; `None` if it timed out or reached its
    /// maximum length (or the `<Record action>` request has not come).
    pub fn finish_digits(&self) -> Option<&str> {
        self.action.as_ref()?.digits.as_deref()
    }

    /// Where the story is stored, once it is: what `audio_url` serves.
    pub fn stored_media(&self) -> Option<&StoredMedia> {
        self.storage.stored.as_ref()
    }

    /// How many reconciliations have been applied; the next one is this plus one.
    pub fn reconciliations(&self) -> u32 {
        self.reconciled
    }

    /// How many storage attempts have failed so far.
    pub fn storage_failures(&self) -> u32 {
        self.storage.failed_attempts
    }

    /// The last storage failure's reason, while the story is not stored.
    pub fn storage_error(&self) -> Option<&str> {
        match self.storage.stored {
            Some(_) => None,
            None => self.storage.last_error.as_deref(),
        }
    }

    /// Whether the call was answered and Twilio could not record it (`RecordingStatus=failed`): the storyteller may
    /// have told a story that is lost, which they are told in other words than for a call that never connected.
    pub fn recording_failed(&self) -> bool {
        self.status() == Status::Failed && matches!(self.outcome, Some(Outcome::Failed { .. }))
    }

    /// Why the recording is [`Status::Failed`]; `None` for any other status.
    pub fn failure(&self) -> Option<Failure> {
        if self.status() != Status::Failed {
            return None;
        }
        if let Some(Outcome::Failed { error_code }) = &self.outcome {
            return Some(Failure {
                code: *error_code,
                message: "twilio could not record the call".to_owned(),
            });
        }
        if let Some(rejection) = &self.rejection {
            return Some(Failure {
                code: rejection.code,
                message: rejection.message.clone(),
            });
        }
        Some(Failure {
            code: None,
            message: "the call could not be connected".to_owned(),
        })
    }

    /// The effects still owed by this state, for a server that restarts and lost its timers:
    /// copy a completed story that is not stored yet, and reconcile an ended call whose
    /// recording's outcome is unknown.
    pub fn pending_effects(&self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some((sid, url)) = self.story()
            && self.storage.stored.is_none()
            && !self.storage.stuck
        {
            effects.push(Effect::CopyMedia {
                recording_sid: sid.clone(),
                media_url: url.map(str::to_owned),
                attempt: self.storage.failed_attempts + 1,
            });
        }
        effects.extend(self.reconcile_effect());
        effects
    }

    /// The completed, non-empty recording to store, with Twilio's media URL.
    fn story(&self) -> Option<(&RecordingSid, Option<&str>)> {
        match (&self.outcome, &self.recording_sid) {
            (Some(Outcome::Completed { .. }), Some(sid)) if !self.is_empty_recording() => {
                Some((sid, self.twilio_media_url()))
            }
            _ => None,
        }
    }

    fn is_empty_recording(&self) -> bool {
        matches!(
            self.outcome,
            Some(Outcome::Completed {
                duration_secs: Some(0),
                ..
            })
        )
    }

    /// An answered call ended and nobody has said what became of its recording.
    fn reconcile_due(&self) -> bool {
        self.call_end
            .as_ref()
            .is_some_and(|end| end.ending == CallEnding::Completed)
            && self.outcome.is_none()
            && !matches!(self.status(), Status::Machine | Status::Failed)
    }

    fn reconcile_effect(&self) -> Option<Effect> {
        let call_sid = self.call_sid.as_ref().filter(|_| self.reconcile_due())?;
        let attempt = self.reconciled + 1;
        Some(Effect::ScheduleReconcile {
            call_sid: call_sid.clone(),
            attempt,
            after_secs: reconcile_delay_secs(attempt),
        })
    }

    fn effects_since(&self, old: &Recording, event: &Event) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let (Some((sid, url)), None) = (self.story(), old.story()) {
            effects.push(Effect::CopyMedia {
                recording_sid: sid.clone(),
                media_url: url.map(str::to_owned),
                attempt: 1,
            });
        }
        if let Event::StorageFailed {
            attempt,
            retryable,
            reason,
            ..
        } = event
            && self.storage.failed_attempts > old.storage.failed_attempts
            && let Some((sid, url)) = self.story()
        {
            effects.push(if *retryable {
                Effect::ScheduleStorageRetry {
                    recording_sid: sid.clone(),
                    media_url: url.map(str::to_owned),
                    attempt: attempt + 1,
                    after_secs: storage_retry_delay_secs(attempt + 1),
                }
            } else {
                Effect::StorageStuck {
                    recording_sid: sid.clone(),
                    reason: reason.clone(),
                }
            });
        }
        let newly_stored = self.storage.stored.is_some() && old.storage.stored.is_none();
        let newly_empty = self.is_empty_recording() && !old.is_empty_recording();
        if (newly_stored || newly_empty)
            && let Some(sid) = &self.recording_sid
        {
            effects.push(Effect::DeleteTwilioRecording {
                recording_sid: sid.clone(),
            });
        }
        if self.reconcile_due() && (!old.reconcile_due() || self.reconciled > old.reconciled) {
            effects.extend(self.reconcile_effect());
        }
        let status = self.status();
        if status != old.status() {
            effects.push(Effect::Notify { status });
        }
        effects
    }
}
