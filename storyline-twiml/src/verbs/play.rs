use std::fmt;

use crate::{
    UrlRef,
    element::{Render, display, element, write_text_element},
};

/// `<Play>`: plays an audio file, or DTMF tones (`digits`), to the caller.
///
/// ```
/// use storyline_twiml::Play;
///
/// assert_eq!(Play::new("https://example.com/beep.mp3").loop_count(2).to_string(),
///            r#"<Play loop="2">https://example.com/beep.mp3</Play>"#);
/// assert_eq!(Play::tones("ww1234").to_string(), r#"<Play digits="ww1234"/>"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Play {
    /// The audio file to play; `None` when the element has no content (tones only).
    pub url: Option<UrlRef>,
    /// `loop`: how many times to play; `0` repeats until the call ends. Default 1.
    pub loop_count: Option<u32>,
    /// `digits`: DTMF tones to play (`0`–`9`, `*`, `#`, and `w` for a half-second wait).
    pub digits: Option<String>,
}

impl Play {
    /// Plays the audio file at `url` once.
    pub fn new(url: impl Into<UrlRef>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// Plays DTMF tones and no audio file.
    pub fn tones(digits: impl Into<String>) -> Self {
        Self::default().digits(digits)
    }

    /// Sets the audio file.
    #[must_use]
    pub fn url(mut self, url: impl Into<UrlRef>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets `loop`.
    #[must_use]
    pub fn loop_count(mut self, count: u32) -> Self {
        self.loop_count = Some(count);
        self
    }

    /// Sets `digits`.
    #[must_use]
    pub fn digits(mut self, digits: impl Into<String>) -> Self {
        self.digits = Some(digits.into());
        self
    }
}

element!(Play = "Play" {
    "loop" => loop_count,
    "digits" => digits,
});

impl Render for Play {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, self.url.as_ref().map(UrlRef::as_str));
    }
}

impl fmt::Display for Play {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_attribute_with_twilios_names() {
        let play = Play::new("/a.mp3?x=1&y=2").loop_count(0).digits("1w#");
        assert_eq!(
            play.to_string(),
            r#"<Play loop="0" digits="1w#">/a.mp3?x=1&amp;y=2</Play>"#
        );
    }

    #[test]
    fn an_empty_url_keeps_its_element_content() {
        assert_eq!(Play::new("").to_string(), "<Play></Play>");
    }
}
