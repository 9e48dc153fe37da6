use std::fmt;

use crate::element::{Render, display, element, write_text_element};

/// `<Pause>`: waits silently.
///
/// ```
/// use storyline_twiml::Pause;
///
/// assert_eq!(Pause::new().length(2).to_string(), r#"<Pause length="2"/>"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Pause {
    /// `length`: seconds to wait. Default 1.
    pub length: Option<u32>,
}

impl Pause {
    /// A pause of Twilio's default length (one second).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `length`.
    #[must_use]
    pub fn length(mut self, seconds: u32) -> Self {
        self.length = Some(seconds);
        self
    }
}

element!(Pause = "Pause" {
    "length" => length,
});

impl Render for Pause {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, None);
    }
}

impl fmt::Display for Pause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_without_attributes_by_default() {
        assert_eq!(Pause::new().to_string(), "<Pause/>");
    }
}
