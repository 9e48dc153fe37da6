use std::fmt;

use crate::element::{AttrError, Attributes, Element, set, write_text_element};

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

impl Element for Pause {
    const NAME: &'static str = "Pause";

    fn write_attributes(&self, out: &mut Attributes<'_, '_>) -> fmt::Result {
        out.write("length", self.length.as_ref())
    }

    fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), AttrError> {
        match name {
            "length" => set(&mut self.length, value),
            _ => Err(AttrError::Unknown),
        }
    }
}

impl fmt::Display for Pause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text_element(f, self, None)
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
