//! The virtual storytellers: the dialled number picks how the person at the other end behaves.
//!
//! The table is documented in the README and kept stable: tests and people trying the demo rely on it.

/// What the phone at the dialled number does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers after one ring, listens, tells a sample story of 20–40 s, hangs up.
    TellsStory,
    /// The line is busy.
    Busy,
    /// Rings until the caller gives up.
    NeverAnswers,
    /// The call cannot be connected.
    Unreachable,
    /// Answers, then hangs up during the greeting.
    HangsUpDuringGreeting,
    /// Answers and says nothing.
    Silent,
    /// An answering machine picks up.
    AnsweringMachine,
    /// Tells the story, then presses the finish key.
    PressesFinishKey,
    /// Talks for longer than the maximum story length.
    TalksTooLong,
    /// Tells the story with a silence of [`MID_STORY_PAUSE_SECS`] half-way: a shorter `<Record timeout>` ends the
    /// recording there.
    PausesMidStory,
    /// Tells the story, but Twilio fails to store the recording (`RecordingStatus=failed`).
    RecordingFails,
    /// Rings; after 2 s the call is canceled, as when the account cancels it from elsewhere (`canceled`).
    CanceledWhileRinging,
    /// The sandbox phone open in a browser (`GET /phone` on the sandbox): a person answers, listens and speaks.
    BrowserPhone,
}

/// How long the storyteller at +1 201-555-0109 falls silent half-way through the story.
pub const MID_STORY_PAUSE_SECS: u32 = 8;

/// The number that rings the sandbox phone in a browser instead of a virtual storyteller.
pub const BROWSER_PHONE_NUMBER: &str = "+12015550110";

impl Behaviour {
    /// The behaviour for an E.164 number.
    pub fn for_number(e164: &str) -> Self {
        match e164 {
            "+12015550101" => Self::Busy,
            "+12015550102" => Self::NeverAnswers,
            "+12015550103" => Self::Unreachable,
            "+12015550104" => Self::HangsUpDuringGreeting,
            "+12015550105" => Self::Silent,
            "+12015550106" => Self::AnsweringMachine,
            "+12015550107" => Self::PressesFinishKey,
            "+12015550108" => Self::TalksTooLong,
            "+12015550109" => Self::PausesMidStory,
            "+12015550111" => Self::RecordingFails,
            "+12015550112" => Self::CanceledWhileRinging,
            BROWSER_PHONE_NUMBER => Self::BrowserPhone,
            _ => Self::TellsStory,
        }
    }

    /// Whether someone (or something) picks up.
    pub fn answers(self) -> bool {
        !matches!(
            self,
            Self::Busy | Self::NeverAnswers | Self::Unreachable | Self::CanceledWhileRinging
        )
    }

    /// Which sample story this number tells, so one number always tells the same one.
    pub fn sample_for(e164: &str) -> usize {
        e164.bytes()
            .fold(0usize, |acc, b| acc.wrapping_mul(31).wrapping_add(b as usize))
            % crate::media::SAMPLES.len()
    }
}

/// Seconds a voice takes to say `text`: about 150 words a minute.
pub(crate) fn speaking_time(text: &str) -> f64 {
    (text.split_whitespace().count() as f64 * 0.4).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_numbers_keep_their_behaviour() {
        assert_eq!(Behaviour::for_number("+12015550100"), Behaviour::TellsStory);
        assert_eq!(Behaviour::for_number("+12015550101"), Behaviour::Busy);
        assert_eq!(Behaviour::for_number("+12015550102"), Behaviour::NeverAnswers);
        assert_eq!(Behaviour::for_number("+12015550103"), Behaviour::Unreachable);
        assert_eq!(Behaviour::for_number("+12015550104"), Behaviour::HangsUpDuringGreeting);
        assert_eq!(Behaviour::for_number("+12015550105"), Behaviour::Silent);
        assert_eq!(Behaviour::for_number("+12015550106"), Behaviour::AnsweringMachine);
        assert_eq!(Behaviour::for_number("+12015550107"), Behaviour::PressesFinishKey);
        assert_eq!(Behaviour::for_number("+12015550108"), Behaviour::TalksTooLong);
        assert_eq!(Behaviour::for_number("+12015550109"), Behaviour::PausesMidStory);
        assert_eq!(Behaviour::for_number("+12015550110"), Behaviour::BrowserPhone);
        assert_eq!(Behaviour::for_number("+12015550111"), Behaviour::RecordingFails);
        assert_eq!(Behaviour::for_number("+12015550112"), Behaviour::CanceledWhileRinging);
        assert_eq!(Behaviour::for_number("+19175552368"), Behaviour::TellsStory);
    }
}
