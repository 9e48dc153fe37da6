//! The events `<Record>` reports to its `recordingStatusCallback`.

use std::{fmt, str::FromStr};

use super::InvalidValue;
use crate::element::AttrValue;

/// One recording status event (`recordingStatusCallbackEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordingEvent {
    /// `in-progress`: the recording has started.
    InProgress,
    /// `completed`: the file is ready to fetch (Twilio's default).
    Completed,
    /// `absent`: nothing was recorded (silence, or no audio at all).
    Absent,
}

impl RecordingEvent {
    /// Every event, in the order TwiML lists them.
    pub const ALL: [Self; 3] = [Self::InProgress, Self::Completed, Self::Absent];

    /// The spelling in TwiML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Absent => "absent",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for RecordingEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordingEvent {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|event| event.as_str() == s)
            .ok_or_else(|| InvalidValue::new("recording event", s, "`in-progress`, `completed` or `absent`"))
    }
}

/// A set of [`RecordingEvent`]s, written space-separated (`in-progress completed absent`).
///
/// It is a set: order and repeats in a parsed document are not kept, and it is always written in
/// the order of [`RecordingEvent::ALL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RecordingEvents(u8);

impl RecordingEvents {
    /// The empty set.
    pub const fn new() -> Self {
        Self(0)
    }

    /// This set with `event` added.
    #[must_use]
    pub const fn with(self, event: RecordingEvent) -> Self {
        Self(self.0 | event.bit())
    }

    /// Adds `event`.
    pub fn insert(&mut self, event: RecordingEvent) {
        *self = self.with(event);
    }

    /// Whether `event` is in the set.
    pub const fn contains(self, event: RecordingEvent) -> bool {
        self.0 & event.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The events in the set, in the order of [`RecordingEvent::ALL`].
    pub fn iter(self) -> impl Iterator<Item = RecordingEvent> {
        RecordingEvent::ALL
            .into_iter()
            .filter(move |event| self.contains(*event))
    }
}

impl From<RecordingEvent> for RecordingEvents {
    fn from(event: RecordingEvent) -> Self {
        Self::new().with(event)
    }
}

impl FromIterator<RecordingEvent> for RecordingEvents {
    fn from_iter<I: IntoIterator<Item = RecordingEvent>>(events: I) -> Self {
        events.into_iter().fold(Self::new(), Self::with)
    }
}

impl fmt::Display for RecordingEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, event) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(event.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for RecordingEvents {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split_ascii_whitespace()
            .map(|word| {
                word.parse::<RecordingEvent>()
                    .map_err(|_| InvalidValue::new("recording events", s, Self::EXPECTED))
            })
            .collect()
    }
}

impl AttrValue for RecordingEvents {
    const EXPECTED: &'static str = "a space-separated list of `in-progress`, `completed`, `absent`";

    fn write_attr(&self, out: &mut String) {
        for (i, event) in self.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(event.as_str());
        }
    }

    fn parse_attr(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_has_twilios_spelling() {
        for (event, spelling) in RecordingEvent::ALL
            .into_iter()
            .zip(["in-progress", "completed", "absent"])
        {
            assert_eq!(event.to_string(), spelling);
            assert_eq!(spelling.parse::<RecordingEvent>().unwrap(), event);
        }
        assert!("inprogress".parse::<RecordingEvent>().is_err());
    }

    #[test]
    fn sets_are_written_space_separated_in_canonical_order() {
        let events: RecordingEvents = [RecordingEvent::Absent, RecordingEvent::InProgress]
            .into_iter()
            .collect();
        assert_eq!(events.to_string(), "in-progress absent");
        assert_eq!(RecordingEvents::new().to_string(), "");
    }

    #[test]
    fn sets_parse_any_order_and_spacing() {
        let events: RecordingEvents = " absent  completed ".parse().unwrap();
        assert!(events.contains(RecordingEvent::Completed) && events.contains(RecordingEvent::Absent));
        assert!(!events.contains(RecordingEvent::InProgress));
        assert!("".parse::<RecordingEvents>().unwrap().is_empty());
    }

    #[test]
    fn sets_refuse_python_list_syntax_and_unknown_events() {
        for bad in ["['in-progress', 'completed']", "completed,absent", "failed"] {
            assert_eq!(bad.parse::<RecordingEvents>().unwrap_err().value(), bad);
        }
    }
}
