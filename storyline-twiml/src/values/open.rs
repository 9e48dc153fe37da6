//! Values Twilio keeps adding to (voices, languages, speech models): kept open so a document that
//! uses a new one still parses and renders unchanged.

use std::{fmt, str::FromStr};

use crate::{element::AttrValue, escape::escape_into};

macro_rules! open_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value as written in TwiML.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AttrValue for $name {
            const EXPECTED: &'static str = "text";

            fn write_attr(&self, out: &mut String) {
                escape_into(out, &self.0);
            }

            fn parse_attr(s: &str) -> Option<Self> {
                Some(s.into())
            }
        }
    };
}

open_string! {
    /// A text-to-speech voice (`voice`): `man`, `woman`, `alice`, `Polly.Joanna`, `Google.en-US-Standard-C`…
    Voice
}

open_string! {
    /// A language tag (`language`), such as `en-US` or `fr-FR`.
    Language
}

/// The speech recognition model `<Gather>` uses (`speechModel`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpeechModel {
    /// `default`.
    Default,
    /// `numbers_and_commands`: short answers, digits and commands.
    NumbersAndCommands,
    /// `phone_call`: audio from a phone call.
    PhoneCall,
    /// `experimental_conversations`.
    ExperimentalConversations,
    /// `experimental_utterances`.
    ExperimentalUtterances,
    /// Any other model Twilio offers. Build it with `From<&str>`, which picks a named variant when one fits.
    Other(String),
}

impl SpeechModel {
    const KNOWN: [(Self, &'static str); 5] = [
        (Self::Default, "default"),
        (Self::NumbersAndCommands, "numbers_and_commands"),
        (Self::PhoneCall, "phone_call"),
        (Self::ExperimentalConversations, "experimental_conversations"),
        (Self::ExperimentalUtterances, "experimental_utterances"),
    ];

    /// The spelling in TwiML.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Default => "default",
            Self::NumbersAndCommands => "numbers_and_commands",
            Self::PhoneCall => "phone_call",
            Self::ExperimentalConversations => "experimental_conversations",
            Self::ExperimentalUtterances => "experimental_utterances",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for SpeechModel {
    fn from(value: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find_map(|(model, spelling)| (spelling == value).then_some(model))
            .unwrap_or_else(|| Self::Other(value.to_owned()))
    }
}

impl FromStr for SpeechModel {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.into())
    }
}

impl fmt::Display for SpeechModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AttrValue for SpeechModel {
    const EXPECTED: &'static str = "a speech model name";

    fn write_attr(&self, out: &mut String) {
        escape_into(out, self.as_str());
    }

    fn parse_attr(s: &str) -> Option<Self> {
        Some(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_speech_model_has_twilios_spelling() {
        for (model, spelling) in SpeechModel::KNOWN {
            assert_eq!(model.to_string(), spelling);
            assert_eq!(SpeechModel::from(spelling), model);
        }
    }

    #[test]
    fn unknown_speech_models_are_kept() {
        let model = SpeechModel::from("googlev2_telephony");
        assert_eq!(model, SpeechModel::Other("googlev2_telephony".into()));
        assert_eq!(model.to_string(), "googlev2_telephony");
    }

    #[test]
    fn voices_and_languages_keep_their_text() {
        assert_eq!(Voice::from("Polly.Joanna-Neural").as_str(), "Polly.Joanna-Neural");
        assert_eq!(Language::from(String::from("cy-GB")).to_string(), "cy-GB");
    }
}
