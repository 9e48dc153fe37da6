//! How each event merges into a [`Recording`]'s facts: every merge only adds knowledge or
//! raises a rank, so order and repetition do not change the result.

use super::{ActionSeen, CallEnd, CallEnding, Outcome, Progress, Recording, Rejection};
use crate::recording::{CallStatus, Event, Reconciliation, RecordingStatus, TransitionError};
use crate::{CallSid, RecordingSid};

impl Recording {
    pub(super) fn absorb(&mut self, event: &Event) -> Result<(), TransitionError> {
        match event {
            Event::CallPlaced { call_sid } => self.adopt_call(call_sid),
            Event::CallRejected { code, message } => {
                if self.rejection.is_none() {
                    if self.call_sid.is_some() {
                        return Err(TransitionError::AlreadyPlaced);
                    }
                    self.rejection = Some(Rejection {
                        code: *code,
                        message: message.clone(),
                    });
                }
                Ok(())
            }
            Event::CallStatus(callback) => {
                self.adopt_call(&callback.call_sid)?;
                self.merge_call_status(&callback.call_status, callback.call_duration)
            }
            Event::CallAnswered(request) => {
                self.adopt_call(&request.call_sid)?;
                self.raise(Progress::Answered);
                if self.answered_by.is_none() {
                    self.answered_by.clone_from(&request.answered_by);
                }
                Ok(())
            }
            Event::RecordAction(request) => {
                self.adopt_call(&request.call_sid)?;
                if let Some(sid) = &request.recording_sid {
                    self.adopt_recording(sid)?;
                }
                self.raise(Progress::Answered);
                self.action.get_or_insert_with(|| ActionSeen {
                    recording_url: request.recording_url.clone(),
                    duration_secs: request.recording_duration,
                    digits: request.digits.clone(),
                });
                Ok(())
            }
            Event::RecordingStatus(callback) => {
                self.adopt_call(&callback.call_sid)?;
                self.adopt_recording(&callback.recording_sid)?;
                self.merge_recording_status(
                    &callback.recording_status,
                    callback.recording_url.as_deref(),
                    callback.recording_duration,
                    callback.error_code,
                )
            }
            Event::MediaStored { recording_sid, media } => {
                self.check_storable(recording_sid)?;
                self.storage.stored.get_or_insert_with(|| media.clone());
                Ok(())
            }
            Event::StorageFailed {
                recording_sid,
                attempt,
                retryable,
                reason,
            } => {
                self.check_storable(recording_sid)?;
                if self.storage.stored.is_none() && *attempt > self.storage.failed_attempts {
                    self.storage.failed_attempts = *attempt;
                    self.storage.last_error = Some(reason.clone());
                    self.storage.stuck = !retryable;
                }
                Ok(())
            }
            Event::Reconciled(reconciliation) => self.reconcile(reconciliation),
        }
    }

    fn adopt_call(&mut self, sid: &CallSid) -> Result<(), TransitionError> {
        if self.rejection.is_some() {
            return Err(TransitionError::AlreadyRejected);
        }
        match &self.call_sid {
            Some(known) if known != sid => Err(TransitionError::WrongCall {
                expected: known.clone(),
                found: sid.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                // Twilio's first callbacks can overtake our handling of its `201`.
                self.call_sid = Some(sid.clone());
                Ok(())
            }
        }
    }

    fn adopt_recording(&mut self, sid: &RecordingSid) -> Result<(), TransitionError> {
        match &self.recording_sid {
            Some(known) if known != sid => Err(TransitionError::WrongRecording {
                expected: known.clone(),
                found: sid.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                self.recording_sid = Some(sid.clone());
                Ok(())
            }
        }
    }

    fn raise(&mut self, progress: Progress) {
        self.progress = self.progress.max(progress);
    }

    fn merge_call_status(&mut self, status: &CallStatus, duration_secs: Option<u32>) -> Result<(), TransitionError> {
        let ending = match status {
            CallStatus::Queued | CallStatus::Initiated => return Ok(()),
            CallStatus::Ringing => {
                self.raise(Progress::Ringing);
                return Ok(());
            }
            CallStatus::InProgress => {
                self.raise(Progress::Answered);
                return Ok(());
            }
            CallStatus::Completed => CallEnding::Completed,
            CallStatus::Busy => CallEnding::Busy,
            CallStatus::Failed => CallEnding::Failed,
            CallStatus::NoAnswer => CallEnding::NoAnswer,
            CallStatus::Canceled => CallEnding::Canceled,
            CallStatus::Other(value) => {
                return Err(TransitionError::Unrecognised {
                    field: "CallStatus",
                    value: value.clone(),
                });
            }
        };
        if ending == CallEnding::Completed {
            // Twilio reports `completed` only for calls that were answered.
            self.raise(Progress::Answered);
        }
        match &mut self.call_end {
            None => {
                self.call_end = Some(CallEnd { ending, duration_secs });
            }
            Some(end) if end.ending == ending && end.duration_secs.is_none() => {
                end.duration_secs = duration_secs;
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn merge_recording_status(
        &mut self,
        status: &RecordingStatus,
        media_url: Option<&str>,
        duration_secs: Option<u32>,
        error_code: Option<u32>,
    ) -> Result<(), TransitionError> {
        let outcome = match status {
            RecordingStatus::InProgress
            | RecordingStatus::Paused
            | RecordingStatus::Stopped
            | RecordingStatus::Processing => None,
            RecordingStatus::Completed => Some(Outcome::Completed {
                media_url: media_url.map(str::to_owned),
                duration_secs,
            }),
            RecordingStatus::Absent => Some(Outcome::Absent),
            RecordingStatus::Failed => Some(Outcome::Failed { error_code }),
            RecordingStatus::Deleted => return Ok(()),
            RecordingStatus::Other(value) => {
                return Err(TransitionError::Unrecognised {
                    field: "RecordingStatus",
                    value: value.clone(),
                });
            }
        };
        self.raise(Progress::Answered);
        self.recording_started = true;
        if let Some(outcome) = outcome {
            self.merge_outcome(outcome);
        }
        Ok(())
    }

    fn merge_outcome(&mut self, outcome: Outcome) {
        if self.outcome.as_ref().is_none_or(|known| outcome.rank() > known.rank()) {
            self.outcome = Some(outcome);
        }
    }

    fn reconcile(&mut self, reconciliation: &Reconciliation) -> Result<(), TransitionError> {
        self.adopt_call(&reconciliation.call_sid)?;
        if reconciliation.attempt <= self.reconciled {
            return Ok(());
        }
        self.merge_call_status(&reconciliation.call_status, reconciliation.call_duration)?;
        let report = match &self.recording_sid {
            Some(known) => reconciliation.recordings.iter().find(|r| r.recording_sid == *known),
            None => reconciliation.recordings.iter().max_by_key(|r| match r.status {
                RecordingStatus::Completed => 3,
                RecordingStatus::Failed => 2,
                RecordingStatus::Absent => 1,
                _ => 0,
            }),
        };
        match report {
            Some(report) => {
                self.adopt_recording(&report.recording_sid)?;
                self.merge_recording_status(
                    &report.status,
                    report.media_url.as_deref(),
                    report.duration_secs,
                    report.error_code,
                )?;
            }
            None if self.call_end.is_some() => self.merge_outcome(Outcome::NotFound),
            None => {}
        }
        self.reconciled = reconciliation.attempt;
        Ok(())
    }

    fn check_storable(&self, sid: &RecordingSid) -> Result<(), TransitionError> {
        match (&self.recording_sid, self.story()) {
            (Some(known), _) if known != sid => Err(TransitionError::WrongRecording {
                expected: known.clone(),
                found: sid.clone(),
            }),
            (_, Some(_)) => Ok(()),
            _ => Err(TransitionError::NothingToStore(sid.clone())),
        }
    }
}
