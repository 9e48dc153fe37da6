use std::{fmt, str::FromStr};

use crate::{
    Gather, Hangup, ParseError, Pause, Play, Record, Redirect, Say, Verb,
    element::{element, write_parent_element},
};

/// The XML declaration every rendered document starts with.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Room reserved per verb before rendering: a `<Say>` with a sentence, or a `<Record>` with a few URLs, fits, so a
/// typical document is written without growing its buffer.
const BYTES_PER_VERB: usize = 128;

/// A TwiML document: `<Response>` and the verbs Twilio runs in order.
///
/// [`Response::render`] (or `Display`, `to_string()`) renders the whole document, XML declaration included;
/// [`Response::parse`] (or `FromStr`) reads one back.
///
/// ```
/// use storyline_twiml::{Hangup, Response, Say, Verb};
///
/// let response = Response::new().say(Say::new("Bye")).hangup();
/// assert_eq!(response.to_string(), r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Bye</Say><Hangup/></Response>"#);
/// assert!(matches!(response.verbs(), [Verb::Say(_), Verb::Hangup(_)]));
/// assert_eq!(Response::new().to_string(), r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#);
/// assert_eq!(response.render(), response.to_string());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Response {
    verbs: Vec<Verb>,
}

impl Response {
    /// An empty document, `<Response/>`: what a status callback may answer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a TwiML document.
    ///
    /// # Errors
    /// When the text is not well-formed XML, declares a DOCTYPE, or holds anything this crate does not
    /// model: an unknown verb or attribute, an invalid value, misplaced text or nesting.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        crate::parse::parse(input)
    }

    /// Renders the document, XML declaration included: the same text as `to_string()`, written straight into
    /// one `String` reserved up front, so it is the fastest way to get it.
    ///
    /// ```
    /// use storyline_twiml::{Response, Say};
    ///
    /// let xml = Response::new().say(Say::new("Hi & bye")).render();
    /// assert_eq!(xml, r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi &amp; bye</Say></Response>"#);
    /// ```
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Appends the rendered document (what [`Response::render`] returns) to `out`, to reuse a buffer or to
    /// write the document after other text.
    ///
    /// ```
    /// use storyline_twiml::Response;
    ///
    /// let mut buffer = String::new();
    /// Response::new().hangup().write_to(&mut buffer);
    /// assert_eq!(buffer, r#"<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>"#);
    /// ```
    pub fn write_to(&self, out: &mut String) {
        out.reserve(DECLARATION.len() + "<Response></Response>".len() + BYTES_PER_VERB * self.verbs.len());
        out.push_str(DECLARATION);
        write_parent_element(out, self, &self.verbs);
    }

    /// The verbs, in the order Twilio runs them.
    pub fn verbs(&self) -> &[Verb] {
        &self.verbs
    }

    /// The verbs, by value.
    pub fn into_verbs(self) -> Vec<Verb> {
        self.verbs
    }

    /// Whether the document has no verb.
    pub fn is_empty(&self) -> bool {
        self.verbs.is_empty()
    }

    /// Appends a verb.
    pub fn push(&mut self, verb: impl Into<Verb>) {
        self.verbs.push(verb.into());
    }

    /// Appends a verb, builder style.
    #[must_use]
    pub fn verb(mut self, verb: impl Into<Verb>) -> Self {
        self.push(verb);
        self
    }

    /// Appends `<Say>`.
    #[must_use]
    pub fn say(self, say: Say) -> Self {
        self.verb(say)
    }

    /// Appends `<Play>`.
    #[must_use]
    pub fn play(self, play: Play) -> Self {
        self.verb(play)
    }

    /// Appends `<Pause>`.
    #[must_use]
    pub fn pause(self, pause: Pause) -> Self {
        self.verb(pause)
    }

    /// Appends `<Record>`.
    #[must_use]
    pub fn record(self, record: Record) -> Self {
        self.verb(record)
    }

    /// Appends `<Gather>`.
    #[must_use]
    pub fn gather(self, gather: Gather) -> Self {
        self.verb(gather)
    }

    /// Appends `<Redirect>`.
    #[must_use]
    pub fn redirect(self, redirect: Redirect) -> Self {
        self.verb(redirect)
    }

    /// Appends `<Hangup>`.
    #[must_use]
    pub fn hangup(self) -> Self {
        self.verb(Hangup::new())
    }
}

element!(Response = "Response" {});

impl fmt::Display for Response {
    /// Writes what [`Response::render`] returns.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for Response {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Vec<Verb>> for Response {
    fn from(verbs: Vec<Verb>) -> Self {
        Self { verbs }
    }
}

impl<V: Into<Verb>> FromIterator<V> for Response {
    fn from_iter<I: IntoIterator<Item = V>>(verbs: I) -> Self {
        Self {
            verbs: verbs.into_iter().map(Into::into).collect(),
        }
    }
}

impl<V: Into<Verb>> Extend<V> for Response {
    fn extend<I: IntoIterator<Item = V>>(&mut self, verbs: I) {
        self.verbs.extend(verbs.into_iter().map(Into::into));
    }
}
