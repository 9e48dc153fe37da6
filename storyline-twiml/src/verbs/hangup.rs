use std::fmt;

use crate::element::{Render, display, element, write_text_element};

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

element!(Hangup = "Hangup" {});

impl Render for Hangup {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, None);
    }
}

impl fmt::Display for Hangup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}
