use std::fmt;

use crate::element::{AttrError, Attributes, Element, write_text_element};

/// `<Hangup>`: ends the call.
///
/// ```
/// use storyline_twiml::Hangup;
///
/// assert_eq!(Hangup::new().to_string(), "<Hangup/>");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Hangup {}

impl Hangup {
    /// Ends the call.
    pub fn new() -> Self {
        Self {}
    }
}

impl Element for Hangup {
    const NAME: &'static str = "Hangup";

    fn write_attributes(&self, _out: &mut Attributes<'_, '_>) -> fmt::Result {
        Ok(())
    }

    fn set_attribute(&mut self, _name: &str, _value: &str) -> Result<(), AttrError> {
        Err(AttrError::Unknown)
    }
}

impl fmt::Display for Hangup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text_element(f, self, None)
    }
}
