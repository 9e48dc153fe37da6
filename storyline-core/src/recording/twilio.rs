//! Twilio's status values, spelled exactly as Twilio spells them on the wire.
//!
//! Each enum has an `Other` arm holding any value Twilio adds later, so parsing never fails;
//! the state machine reports such values as [`TransitionError::Unrecognised`](super::TransitionError::Unrecognised).

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )* }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
            /// A value this version does not know, kept as Twilio sent it.
            Other(String),
        }

        impl $name {
            /// The value as Twilio spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s,
                }
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                let Ok(value) = s.parse();
                value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(s.as_str().into())
            }
        }
    };
}

wire_enum! {
    /// `CallStatus` of a call status callback, a TwiML request or the REST Call resource.
    CallStatus {
        /// Waiting for Twilio's outbound pacing.
        Queued = "queued",
        /// Twilio started dialling.
        Initiated = "initiated",
        /// The phone is ringing.
        Ringing = "ringing",
        /// Answered (the `answered` callback event is sent with this status).
        InProgress = "in-progress",
        /// Answered, then ended normally.
        Completed = "completed",
        /// The line was busy.
        Busy = "busy",
        /// The call could not be connected (bad number, carrier error).
        Failed = "failed",
        /// Nobody answered within the ring timeout.
        NoAnswer = "no-answer",
        /// Canceled through the REST API before it was answered.
        Canceled = "canceled",
    }
}

wire_enum! {
    /// `RecordingStatus` of a recording status callback, or `status` of the REST Recording
    /// resource (which adds `paused`, `stopped`, `processing` and `deleted`).
    RecordingStatus {
        /// Recording has started.
        InProgress = "in-progress",
        /// The file is ready at `RecordingUrl`.
        Completed = "completed",
        /// Nothing was recorded (silence, or the caller hung up at once).
        Absent = "absent",
        /// Twilio could not record; `ErrorCode` says why.
        Failed = "failed",
        /// Paused through the REST API.
        Paused = "paused",
        /// Stopped through the REST API; the file is being finalised.
        Stopped = "stopped",
        /// The file is being finalised.
        Processing = "processing",
        /// The recording was deleted.
        Deleted = "deleted",
    }
}

wire_enum! {
    /// `AnsweredBy` of answering-machine detection.
    AnsweredBy {
        /// A person answered.
        Human = "human",
        /// A machine answered (detection without waiting for the beep).
        MachineStart = "machine_start",
        /// A machine answered; its greeting ended with a beep.
        MachineEndBeep = "machine_end_beep",
        /// A machine answered; its greeting ended with silence.
        MachineEndSilence = "machine_end_silence",
        /// A machine answered; its greeting ended some other way.
        MachineEndOther = "machine_end_other",
        /// A fax machine answered.
        Fax = "fax",
        /// Detection could not decide.
        Unknown = "unknown",
    }
}

impl CallStatus {
    /// Whether Twilio sends nothing after this status for the call.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            CallStatus::Completed | CallStatus::Busy | CallStatus::Failed | CallStatus::NoAnswer | CallStatus::Canceled
        )
    }
}

impl AnsweredBy {
    /// Whether no person can tell a story on this line: an answering machine or a fax.
    ///
    /// `unknown` counts as a person, since hanging up on a person is worse than greeting a
    /// machine; an unrecognised value counts as a machine when it starts with `machine`, as
    /// every machine value Twilio has defined does.
    pub fn is_machine(&self) -> bool {
        match self {
            AnsweredBy::Human | AnsweredBy::Unknown => false,
            AnsweredBy::MachineStart
            | AnsweredBy::MachineEndBeep
            | AnsweredBy::MachineEndSilence
            | AnsweredBy::MachineEndOther
            | AnsweredBy::Fax => true,
            AnsweredBy::Other(s) => s.starts_with("machine"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(value: &T, wire: &str)
    where
        T: FromStr<Err = Infallible> + fmt::Display + PartialEq + fmt::Debug,
    {
        assert_eq!(value.to_string(), wire);
        assert_eq!(&wire.parse::<T>().unwrap(), value);
    }

    #[test]
    fn call_statuses_use_twilios_spelling() {
        round_trips(&CallStatus::Queued, "queued");
        round_trips(&CallStatus::Initiated, "initiated");
        round_trips(&CallStatus::Ringing, "ringing");
        round_trips(&CallStatus::InProgress, "in-progress");
        round_trips(&CallStatus::Completed, "completed");
        round_trips(&CallStatus::Busy, "busy");
        round_trips(&CallStatus::Failed, "failed");
        round_trips(&CallStatus::NoAnswer, "no-answer");
        round_trips(&CallStatus::Canceled, "canceled");
        round_trips(&CallStatus::Other("answered".into()), "answered");
        assert_eq!(CallStatus::from("inprogress"), CallStatus::Other("inprogress".into()));
    }

    #[test]
    fn recording_statuses_use_twilios_spelling() {
        round_trips(&RecordingStatus::InProgress, "in-progress");
        round_trips(&RecordingStatus::Completed, "completed");
        round_trips(&RecordingStatus::Absent, "absent");
        round_trips(&RecordingStatus::Failed, "failed");
        round_trips(&RecordingStatus::Paused, "paused");
        round_trips(&RecordingStatus::Stopped, "stopped");
        round_trips(&RecordingStatus::Processing, "processing");
        round_trips(&RecordingStatus::Deleted, "deleted");
        round_trips(&RecordingStatus::Other("archived".into()), "archived");
    }

    #[test]
    fn answered_by_uses_twilios_spelling() {
        round_trips(&AnsweredBy::Human, "human");
        round_trips(&AnsweredBy::MachineStart, "machine_start");
        round_trips(&AnsweredBy::MachineEndBeep, "machine_end_beep");
        round_trips(&AnsweredBy::MachineEndSilence, "machine_end_silence");
        round_trips(&AnsweredBy::MachineEndOther, "machine_end_other");
        round_trips(&AnsweredBy::Fax, "fax");
        round_trips(&AnsweredBy::Unknown, "unknown");
        round_trips(&AnsweredBy::Other("machine_end_music".into()), "machine_end_music");
    }

    #[test]
    fn only_machines_and_faxes_count_as_machines() {
        assert!(!AnsweredBy::Human.is_machine());
        assert!(!AnsweredBy::Unknown.is_machine());
        assert!(AnsweredBy::MachineStart.is_machine());
        assert!(AnsweredBy::MachineEndBeep.is_machine());
        assert!(AnsweredBy::Fax.is_machine());
        assert!(AnsweredBy::from("machine_end_music").is_machine());
        assert!(!AnsweredBy::from("person").is_machine());
    }

    #[test]
    fn serialises_as_the_wire_string() {
        let json = serde_json::to_string(&CallStatus::NoAnswer).unwrap();
        assert_eq!(json, r#""no-answer""#);
        let back: CallStatus = serde_json::from_str(r#""in-progress""#).unwrap();
        assert_eq!(back, CallStatus::InProgress);
    }
}
