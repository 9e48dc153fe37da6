//! URLs as TwiML carries them: absolute, or relative to the document that holds them.

use std::fmt;

use url::Url;

use crate::{element::AttrValue, escape::escape_into};

/// A URL as written in a TwiML document (`action`, `<Play>`, `<Redirect>`…).
///
/// Twilio accepts absolute URLs and URLs relative to the URL it fetched the document from, so the
/// text is kept as written; [`UrlRef::resolve`] turns it into the absolute URL Twilio will request.
///
/// ```
/// use storyline_twiml::{UrlRef, url::Url};
///
/// let document = Url::parse("https://example.com/recording/42/call_started").unwrap();
/// let action = UrlRef::from("recording_done?try=2");
/// assert_eq!(action.resolve(&document).unwrap().as_str(), "https://example.com/recording/42/recording_done?try=2");
/// ```
///
/// The default is the empty URL, a relative reference to the document itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UrlRef(String);

impl UrlRef {
    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the URL is absolute (it has a scheme), rather than relative to the document.
    pub fn is_absolute(&self) -> bool {
        Url::parse(&self.0).is_ok()
    }

    /// The absolute URL this one designates, for a document fetched from `document_url`.
    ///
    /// # Errors
    /// When the text is not a valid URL, absolute or relative.
    pub fn resolve(&self, document_url: &Url) -> Result<Url, url::ParseError> {
        document_url.join(&self.0)
    }
}

impl From<&str> for UrlRef {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for UrlRef {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<Url> for UrlRef {
    fn from(value: Url) -> Self {
        Self(value.into())
    }
}

impl From<&Url> for UrlRef {
    fn from(value: &Url) -> Self {
        Self(value.as_str().to_owned())
    }
}

impl fmt::Display for UrlRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AttrValue for UrlRef {
    const EXPECTED: &'static str = "a URL";

    fn write_attr(&self, out: &mut String) {
        escape_into(out, &self.0);
    }

    fn parse_attr(s: &str) -> Option<Self> {
        Some(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Url {
        Url::parse("https://example.com/recording/42/call_started?sig=1").unwrap()
    }

    #[test]
    fn absolute_urls_resolve_to_themselves() {
        let url = UrlRef::from("https://other.example/next?a=1&b=2");
        assert!(url.is_absolute());
        assert_eq!(
            url.resolve(&document()).unwrap().as_str(),
            "https://other.example/next?a=1&b=2"
        );
    }

    #[test]
    fn root_relative_urls_keep_the_documents_origin() {
        let url = UrlRef::from("/done");
        assert!(!url.is_absolute());
        assert_eq!(url.resolve(&document()).unwrap().as_str(), "https://example.com/done");
    }

    #[test]
    fn path_relative_urls_resolve_against_the_documents_directory() {
        let url = UrlRef::from("../7/status");
        assert_eq!(
            url.resolve(&document()).unwrap().as_str(),
            "https://example.com/recording/7/status"
        );
    }

    #[test]
    fn invalid_urls_fail_to_resolve() {
        assert!(UrlRef::from("https://exa mple.com/").resolve(&document()).is_err());
        assert!(UrlRef::from("http://[::1").resolve(&document()).is_err());
    }

    #[test]
    fn urls_keep_their_text() {
        let url = Url::parse("https://example.com/a b").unwrap();
        assert_eq!(UrlRef::from(&url).as_str(), "https://example.com/a%20b");
        assert_eq!(UrlRef::from(" relative ").to_string(), " relative ");
    }
}
