//! The background work a recording owes, as the store keeps it: a kind and a payload per job, read back into [`Job`].
//!
//! `Job` is the jobs room's type, defined here because the store takes and returns it while `jobs/` runs it: with it
//! in `jobs/`, the two would import each other.

use serde::{Deserialize, Serialize};
use storyline_core::{CallSid, RecordingSid};

/// One piece of durable background work. Every job is safe to run twice: a second copy of stored media, a second
/// delete, a second reconciliation or a second delivery of the same event changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    /// Copy a finished recording from Twilio into storage, then report the outcome to the state machine.
    CopyMedia {
        recording_sid: RecordingSid,
        media_url: Option<String>,
        attempt: u32,
    },
    /// Delete Twilio's copy of a recording that is stored (or empty).
    DeleteTwilioRecording { recording_sid: RecordingSid },
    /// Ask Twilio's REST API what became of a call whose callbacks may be lost.
    Reconcile { call_sid: CallSid, attempt: u32 },
    /// POST an event to the host service's events URL.
    DeliverEvent { event_id: String },
    /// Ask Twilio to place a recording's call at its turn (`at`, milliseconds since the Unix epoch), reserved from
    /// the account's calls per second. Claimed a little before its turn, it waits for the turn itself.
    PlaceCall { at: i64 },
    /// Find out whether Twilio placed a call whose answer was lost (a timeout, a broken connection, a 5xx): list the
    /// calls to the number since the recording was asked for, and adopt the one Twilio placed, or end the recording
    /// once Twilio plainly has none.
    SettleCall,
    /// Remove a deleted story's audio from the audio store.
    RemoveAudio { file: String },
    /// Delete every recording Twilio holds for a deleted story's call.
    PurgeTwilioRecordings { call_sid: CallSid },
}

/// The stored kind of [`Job::PlaceCall`].
pub(crate) const PLACE_CALL: &str = "place_call";

/// A stored job whose kind or payload this version does not understand.
#[derive(Debug, thiserror::Error)]
#[error("unreadable job of kind {kind}: {reason}")]
pub(crate) struct UnreadableJob {
    kind: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct CopyPayload {
    recording_sid: RecordingSid,
    media_url: Option<String>,
    attempt: u32,
}

#[derive(Serialize, Deserialize)]
struct ReconcilePayload {
    call_sid: CallSid,
    attempt: u32,
}

impl Job {
    /// The stored kind. These spellings, and the payloads below, are what earlier versions stored: keep them.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Job::CopyMedia { .. } => "copy_media",
            Job::DeleteTwilioRecording { .. } => "delete_recording",
            Job::Reconcile { .. } => "reconcile",
            Job::DeliverEvent { .. } => "deliver_event",
            Job::PlaceCall { .. } => PLACE_CALL,
            Job::SettleCall => "settle_call",
            Job::RemoveAudio { .. } => "remove_audio",
            Job::PurgeTwilioRecordings { .. } => "purge_recordings",
        }
    }

    /// The stored payload: with the kind and the recording, what makes a job the same job when asked for twice.
    pub(crate) fn payload(&self) -> String {
        let json = |v: serde_json::Result<String>| v.expect("job payloads serialise");
        match self {
            Job::CopyMedia {
                recording_sid,
                media_url,
                attempt,
            } => json(serde_json::to_string(&CopyPayload {
                recording_sid: recording_sid.clone(),
                media_url: media_url.clone(),
                attempt: *attempt,
            })),
            Job::DeleteTwilioRecording { recording_sid } => recording_sid.to_string(),
            Job::Reconcile { call_sid, attempt } => json(serde_json::to_string(&ReconcilePayload {
                call_sid: call_sid.clone(),
                attempt: *attempt,
            })),
            Job::DeliverEvent { event_id } => event_id.clone(),
            Job::PlaceCall { at } => at.to_string(),
            Job::SettleCall => String::new(),
            Job::RemoveAudio { file } => file.clone(),
            Job::PurgeTwilioRecordings { call_sid } => call_sid.to_string(),
        }
    }

    /// Reads a stored job back.
    pub(crate) fn from_stored(kind: &str, payload: &str) -> Result<Job, UnreadableJob> {
        let unreadable = |reason: String| UnreadableJob {
            kind: kind.to_owned(),
            reason,
        };
        match kind {
            "copy_media" => {
                let p: CopyPayload = serde_json::from_str(payload).map_err(|e| unreadable(e.to_string()))?;
                Ok(Job::CopyMedia {
                    recording_sid: p.recording_sid,
                    media_url: p.media_url,
                    attempt: p.attempt,
                })
            }
            "delete_recording" => Ok(Job::DeleteTwilioRecording {
                recording_sid: payload
                    .parse()
                    .map_err(|e: storyline_core::IdError| unreadable(e.to_string()))?,
            }),
            "reconcile" => {
                let p: ReconcilePayload = serde_json::from_str(payload).map_err(|e| unreadable(e.to_string()))?;
                Ok(Job::Reconcile {
                    call_sid: p.call_sid,
                    attempt: p.attempt,
                })
            }
            "deliver_event" if payload.starts_with("evt_") => Ok(Job::DeliverEvent {
                event_id: payload.to_owned(),
            }),
            PLACE_CALL => Ok(Job::PlaceCall {
                at: payload
                    .parse()
                    .map_err(|e: std::num::ParseIntError| unreadable(e.to_string()))?,
            }),
            "settle_call" if payload.is_empty() => Ok(Job::SettleCall),
            "remove_audio" if !payload.is_empty() => Ok(Job::RemoveAudio {
                file: payload.to_owned(),
            }),
            "purge_recordings" => Ok(Job::PurgeTwilioRecordings {
                call_sid: payload
                    .parse()
                    .map_err(|e: storyline_core::IdError| unreadable(e.to_string()))?,
            }),
            _ => Err(unreadable("unknown kind or payload".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_reads_back_as_itself() {
        let sid = RecordingSid::from_bytes([1; 16]);
        let call = CallSid::from_bytes([2; 16]);
        for job in [
            Job::CopyMedia {
                recording_sid: sid.clone(),
                media_url: Some("https://api.twilio.com/x".into()),
                attempt: 3,
            },
            Job::DeleteTwilioRecording { recording_sid: sid },
            Job::Reconcile {
                call_sid: call,
                attempt: 2,
            },
            Job::DeliverEvent {
                event_id: "evt_0123".into(),
            },
            Job::PlaceCall { at: 1_764_590_400_000 },
            Job::SettleCall,
            Job::RemoveAudio {
                file: "AAAA.wav".into(),
            },
            Job::PurgeTwilioRecordings {
                call_sid: CallSid::from_bytes([3; 16]),
            },
        ] {
            assert_eq!(Job::from_stored(job.kind(), &job.payload()).unwrap(), job);
        }
    }

    #[test]
    fn reads_what_earlier_versions_stored() {
        let sid = "RE0123456789abcdef0123456789abcdef";
        let job = Job::from_stored(
            "copy_media",
            &format!(r#"{{"recording_sid":"{sid}","media_url":null,"attempt":1}}"#),
        )
        .unwrap();
        assert_eq!(
            job,
            Job::CopyMedia {
                recording_sid: sid.parse().unwrap(),
                media_url: None,
                attempt: 1
            }
        );
        assert!(Job::from_stored("delete_recording", sid).is_ok());
    }

    #[test]
    fn refuses_unknown_kinds_and_bad_payloads() {
        assert!(Job::from_stored("mine_bitcoin", "{}").is_err());
        assert!(Job::from_stored("copy_media", "not json").is_err());
        assert!(Job::from_stored("delete_recording", "nope").is_err());
        assert!(Job::from_stored("deliver_event", "nope").is_err());
        assert!(Job::from_stored("place_call", "soon").is_err());
    }
}
