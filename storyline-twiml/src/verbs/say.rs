use std::fmt;

use crate::{
    Language, Voice,
    element::{Render, display, element, write_text_element},
};

/// `<Say>`: reads text to the caller with text-to-speech.
///
/// ```
/// use storyline_twiml::Say;
///
/// let say = Say::new("Tell us a story.").voice("Polly.Joanna").language("en-US").loop_count(2);
/// assert_eq!(say.to_string(), r#"<Say voice="Polly.Joanna" language="en-US" loop="2">Tell us a story.</Say>"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Say {
    /// The text to speak (plain text; any `&`, `<`… is escaped when rendered).
    pub text: String,
    /// `voice`: the text-to-speech voice; Twilio's default is `man`.
    pub voice: Option<Voice>,
    /// `language`: the language and accent of the voice, such as `en-US`.
    pub language: Option<Language>,
    /// `loop`: how many times to say the text; `0` repeats until the call ends. Default 1.
    pub loop_count: Option<u32>,
}

impl Say {
    /// Says `text` once, with Twilio's default voice.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Sets `voice`.
    #[must_use]
    pub fn voice(mut self, voice: impl Into<Voice>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// Sets `language`.
    #[must_use]
    pub fn language(mut self, language: impl Into<Language>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets `loop`.
    #[must_use]
    pub fn loop_count(mut self, count: u32) -> Self {
        self.loop_count = Some(count);
        self
    }
}

element!(Say = "Say" {
    "voice" => voice,
    "language" => language,
    "loop" => loop_count,
});

impl Render for Say {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, Some(&self.text));
    }
}

impl fmt::Display for Say {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_plain_text_without_attributes() {
        assert_eq!(Say::new("Hello").to_string(), "<Say>Hello</Say>");
    }

    #[test]
    fn escapes_text_that_would_inject_markup() {
        assert_eq!(
            Say::new("Tom & Jerry</Say><Hangup/>").to_string(),
            "<Say>Tom &amp; Jerry&lt;/Say&gt;&lt;Hangup/&gt;</Say>"
        );
    }

    #[test]
    fn escapes_quotes_in_attribute_values() {
        assert_eq!(
            Say::new("").voice(r#"a"b'c"#).to_string(),
            r#"<Say voice="a&quot;b&apos;c"></Say>"#
        );
    }
}
