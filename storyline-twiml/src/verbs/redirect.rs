use std::fmt;

use crate::{
    Method, UrlRef,
    element::{Render, display, element, write_text_element},
};

/// `<Redirect>`: continues the call with the TwiML at another URL.
///
/// ```
/// use storyline_twiml::{Method, Redirect};
///
/// assert_eq!(Redirect::new("/next?a=1&b=2").method(Method::Get).to_string(),
///            r#"<Redirect method="GET">/next?a=1&amp;b=2</Redirect>"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Redirect {
    /// Where the next TwiML comes from.
    pub url: UrlRef,
    /// `method`: how to request it. Default `POST`.
    pub method: Option<Method>,
}

impl Redirect {
    /// Redirects to `url`.
    pub fn new(url: impl Into<UrlRef>) -> Self {
        Self {
            url: url.into(),
            method: None,
        }
    }

    /// Sets `method`.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }
}

element!(Redirect = "Redirect" {
    "method" => method,
});

impl Render for Redirect {
    fn render_into(&self, out: &mut String) {
        write_text_element(out, self, Some(self.url.as_str()));
    }
}

impl fmt::Display for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}
