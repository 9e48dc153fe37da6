//! Closed sets of values: a TwiML document with any other spelling is refused.

use std::{fmt, str::FromStr};

use super::InvalidValue;
use crate::element::AttrValue;

/// The HTTP method Twilio uses to request a callback URL (`method`, `…Method` attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`, Twilio's default everywhere.
    Post,
}

impl Method {
    /// The spelling in TwiML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

impl FromStr for Method {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "GET" => Ok(Self::Get),
            "POST" => Ok(Self::Post),
            _ => Err(InvalidValue::new("method", s, Self::EXPECTED)),
        }
    }
}

impl AttrValue for Method {
    const EXPECTED: &'static str = "`GET` or `POST`";

    fn write_attr(&self, out: &mut String) {
        out.push_str(self.as_str());
    }

    fn parse_attr(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// Whether `<Record>` trims silence from both ends of the recording (`trim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trim {
    /// `trim-silence`, the default.
    TrimSilence,
    /// `do-not-trim`.
    DoNotTrim,
}

impl Trim {
    /// The spelling in TwiML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TrimSilence => "trim-silence",
            Self::DoNotTrim => "do-not-trim",
        }
    }
}

impl FromStr for Trim {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "trim-silence" => Ok(Self::TrimSilence),
            "do-not-trim" => Ok(Self::DoNotTrim),
            _ => Err(InvalidValue::new("trim", s, Self::EXPECTED)),
        }
    }
}

impl AttrValue for Trim {
    const EXPECTED: &'static str = "`trim-silence` or `do-not-trim`";

    fn write_attr(&self, out: &mut String) {
        out.push_str(self.as_str());
    }

    fn parse_attr(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// What `<Gather>` listens for (`input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// `dtmf`: key presses only, the default.
    Dtmf,
    /// `speech`: speech only.
    Speech,
    /// `dtmf speech`: whichever comes first.
    DtmfSpeech,
}

impl Input {
    /// The spelling in TwiML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dtmf => "dtmf",
            Self::Speech => "speech",
            Self::DtmfSpeech => "dtmf speech",
        }
    }
}

impl FromStr for Input {
    type Err = InvalidValue;

    /// Reads `dtmf`, `speech`, or both separated by spaces in either order (Twilio's value is a list).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (mut dtmf, mut speech) = (false, false);
        for word in s.split_ascii_whitespace() {
            let seen = match word {
                "dtmf" => &mut dtmf,
                "speech" => &mut speech,
                _ => return Err(InvalidValue::new("input", s, Self::EXPECTED)),
            };
            if *seen {
                return Err(InvalidValue::new("input", s, Self::EXPECTED));
            }
            *seen = true;
        }
        match (dtmf, speech) {
            (true, false) => Ok(Self::Dtmf),
            (false, true) => Ok(Self::Speech),
            (true, true) => Ok(Self::DtmfSpeech),
            (false, false) => Err(InvalidValue::new("input", s, Self::EXPECTED)),
        }
    }
}

impl AttrValue for Input {
    const EXPECTED: &'static str = "`dtmf`, `speech` or `dtmf speech`";

    fn write_attr(&self, out: &mut String) {
        out.push_str(self.as_str());
    }

    fn parse_attr(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// How long `<Gather>` waits after the caller stops speaking (`speechTimeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechTimeout {
    /// `auto`: stop at the first pause in speech.
    Auto,
    /// A number of seconds.
    Seconds(u32),
}

impl From<u32> for SpeechTimeout {
    fn from(seconds: u32) -> Self {
        Self::Seconds(seconds)
    }
}

impl FromStr for SpeechTimeout {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(Self::Auto);
        }
        u32::parse_attr(s)
            .map(Self::Seconds)
            .ok_or_else(|| InvalidValue::new("speech timeout", s, Self::EXPECTED))
    }
}

impl AttrValue for SpeechTimeout {
    const EXPECTED: &'static str = "`auto` or a whole number of seconds";

    fn write_attr(&self, out: &mut String) {
        match self {
            Self::Auto => out.push_str("auto"),
            Self::Seconds(seconds) => seconds.write_attr(out),
        }
    }

    fn parse_attr(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(Method, Trim, Input);

impl fmt::Display for SpeechTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Seconds(seconds) => write!(f, "{seconds}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: FromStr + fmt::Display + PartialEq + fmt::Debug>(value: T, spelling: &str)
    where
        T::Err: fmt::Debug,
    {
        assert_eq!(value.to_string(), spelling);
        assert_eq!(spelling.parse::<T>().unwrap(), value);
    }

    #[test]
    fn methods_are_spelled_in_capitals() {
        round_trips(Method::Get, "GET");
        round_trips(Method::Post, "POST");
        assert!("post".parse::<Method>().is_err());
        assert!("PUT".parse::<Method>().is_err());
    }

    #[test]
    fn trim_values_are_spelled_with_hyphens() {
        round_trips(Trim::TrimSilence, "trim-silence");
        round_trips(Trim::DoNotTrim, "do-not-trim");
        assert!("trim_silence".parse::<Trim>().is_err());
    }

    #[test]
    fn input_is_a_space_separated_list() {
        round_trips(Input::Dtmf, "dtmf");
        round_trips(Input::Speech, "speech");
        round_trips(Input::DtmfSpeech, "dtmf speech");
        assert_eq!("speech  dtmf".parse::<Input>().unwrap(), Input::DtmfSpeech);
        for bad in ["", "dtmf,speech", "dtmf dtmf", "voice", "DTMF"] {
            let error = bad.parse::<Input>().unwrap_err();
            assert_eq!(error.value(), bad);
        }
    }

    #[test]
    fn speech_timeout_is_auto_or_seconds() {
        round_trips(SpeechTimeout::Auto, "auto");
        round_trips(SpeechTimeout::Seconds(3), "3");
        assert!("Auto".parse::<SpeechTimeout>().is_err());
        assert!("-1".parse::<SpeechTimeout>().is_err());
    }

    #[test]
    fn invalid_values_say_what_was_expected() {
        let error = "PUT".parse::<Method>().unwrap_err();
        assert_eq!(error.to_string(), r#"invalid method "PUT": expected `GET` or `POST`"#);
    }
}
