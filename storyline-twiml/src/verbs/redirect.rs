use std::fmt;

use crate::{
    Method, UrlRef,
    element::{AttrError, Attributes, Element, set, write_text_element},
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

impl Element for Redirect {
    const NAME: &'static str = "Redirect";

    fn write_attributes(&self, out: &mut Attributes<'_, '_>) -> fmt::Result {
        out.write("method", self.method.as_ref())
    }

    fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), AttrError> {
        match name {
            "method" => set(&mut self.method, value),
            _ => Err(AttrError::Unknown),
        }
    }
}

impl fmt::Display for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text_element(f, self, Some(self.url.as_str()))
    }
}
