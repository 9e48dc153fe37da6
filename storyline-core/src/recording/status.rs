//! The status values the page and every other client rely on (`GET /recording/:id/status`).

use std::fmt;
use std::str::FromStr;

/// Where a recording stands, as the product reports it: snake_case on the wire.
///
/// This list is the product's contract: add values only with a line in the CHANGELOG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The call is being placed, or waits in Twilio's queue.
    Calling,
    /// The phone is ringing.
    Ringing,
    /// Answered; the greeting is playing.
    InProgress,
    /// The storyteller is being recorded.
    Recording,
    /// The story is being saved (also while storage is retried).
    Processing,
    /// The story is saved and can be played.
    Complete,
    /// The line was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// The call could not be placed or connected, or Twilio could not record it.
    Failed,
    /// The call was canceled before it was answered.
    Canceled,
    /// The storyteller hung up before the recording began.
    HungUp,
    /// Answered, but nothing was said.
    NoRecording,
    /// An answering machine (or a fax) answered.
    Machine,
}

impl Status {
    /// Every status, in the order of the contract.
    pub const ALL: [Status; 13] = [
        Status::Calling,
        Status::Ringing,
        Status::InProgress,
        Status::Recording,
        Status::Processing,
        Status::Complete,
        Status::Busy,
        Status::NoAnswer,
        Status::Failed,
        Status::Canceled,
        Status::HungUp,
        Status::NoRecording,
        Status::Machine,
    ];

    /// The wire name, such as `no_answer`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Calling => "calling",
            Status::Ringing => "ringing",
            Status::InProgress => "in_progress",
            Status::Recording => "recording",
            Status::Processing => "processing",
            Status::Complete => "complete",
            Status::Busy => "busy",
            Status::NoAnswer => "no_answer",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::HungUp => "hung_up",
            Status::NoRecording => "no_recording",
            Status::Machine => "machine",
        }
    }

    /// Whether the recording has reached an ending: no call progress will follow.
    ///
    /// Only [`Status::Complete`] can never change. The other endings give way to
    /// [`Status::Processing`] if a completed recording still turns up (its callback can
    /// arrive after the call's), so a client that follows live events should keep listening
    /// briefly after an ending other than `complete`.
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Status::Calling | Status::Ringing | Status::InProgress | Status::Recording | Status::Processing
        )
    }
}

/// A string that is none of the [`Status`] wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown recording status `{0}`")]
pub struct UnknownStatus(String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_contract() {
        let names: Vec<&str> = Status::ALL.iter().map(Status::as_str).collect();
        assert_eq!(
            names,
            [
                "calling",
                "ringing",
                "in_progress",
                "recording",
                "processing",
                "complete",
                "busy",
                "no_answer",
                "failed",
                "canceled",
                "hung_up",
                "no_recording",
                "machine",
            ]
        );
    }

    #[test]
    fn every_status_round_trips_through_its_wire_name() {
        for status in Status::ALL {
            assert_eq!(status.to_string().parse::<Status>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        }
        assert!("in-progress".parse::<Status>().is_err());
        assert!("Complete".parse::<Status>().is_err());
    }

    #[test]
    fn only_endings_are_final() {
        let on_the_way: Vec<Status> = Status::ALL.into_iter().filter(|s| !s.is_final()).collect();
        assert_eq!(
            on_the_way,
            [
                Status::Calling,
                Status::Ringing,
                Status::InProgress,
                Status::Recording,
                Status::Processing
            ]
        );
    }
}
