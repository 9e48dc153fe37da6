//! What every TwiML element shares: attribute values that know their wire spelling, and the one way
//! an element is written. Each verb lists its attributes twice (write and set); the per-verb tests
//! pin the wire names and the round-trip tests keep the two lists in step.

use std::fmt::{self, Write as _};

use crate::escape::{Escaped, escape_into};

/// A value that can sit in an attribute: written with `Display`, read back with [`AttrValue::parse_attr`].
pub(crate) trait AttrValue: fmt::Display + Sized {
    /// What a valid value looks like, for error messages.
    const EXPECTED: &'static str;

    /// Reads an attribute value (already unescaped); `None` when it is not a valid value.
    fn parse_attr(s: &str) -> Option<Self>;
}

/// Why an element refused an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrError {
    /// The element has no attribute of that name.
    Unknown,
    /// The attribute exists but the value is not one it accepts.
    Invalid { expected: &'static str },
}

/// Stores a parsed attribute value in its slot.
pub(crate) fn set<T: AttrValue>(slot: &mut Option<T>, value: &str) -> Result<(), AttrError> {
    *slot = Some(T::parse_attr(value).ok_or(AttrError::Invalid { expected: T::EXPECTED })?);
    Ok(())
}

/// A TwiML element: its name and its attributes.
pub(crate) trait Element {
    /// The element name, as Twilio spells it.
    const NAME: &'static str;

    /// Writes every attribute that is set.
    fn write_attributes(&self, out: &mut Attributes<'_, '_>) -> fmt::Result;

    /// Sets one attribute from its (unescaped) value.
    fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), AttrError>;
}

/// Writes ` name="value"` pairs into an open start tag, skipping unset attributes.
pub(crate) struct Attributes<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Attributes<'_, '_> {
    pub(crate) fn write<T: fmt::Display>(&mut self, name: &str, value: Option<&T>) -> fmt::Result {
        let Some(value) = value else { return Ok(()) };
        write!(self.0, " {name}=\"")?;
        write!(Escaped(&mut *self.0), "{value}")?;
        self.0.write_char('"')
    }
}

/// Writes `<Name attrs…`, leaving the tag open.
fn write_start<E: Element>(f: &mut fmt::Formatter<'_>, element: &E) -> fmt::Result {
    write!(f, "<{}", E::NAME)?;
    element.write_attributes(&mut Attributes(f))
}

/// Writes an element whose content is text; `None` (no content at all) writes `<Name/>`.
pub(crate) fn write_text_element<E: Element>(
    f: &mut fmt::Formatter<'_>,
    element: &E,
    text: Option<&str>,
) -> fmt::Result {
    write_start(f, element)?;
    match text {
        None => f.write_str("/>"),
        Some(text) => {
            f.write_char('>')?;
            escape_into(f, text)?;
            write!(f, "</{}>", E::NAME)
        }
    }
}

/// Writes an element whose content is other elements; no children writes `<Name/>`.
pub(crate) fn write_parent_element<E: Element, C: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    element: &E,
    children: &[C],
) -> fmt::Result {
    write_start(f, element)?;
    if children.is_empty() {
        return f.write_str("/>");
    }
    f.write_char('>')?;
    for child in children {
        child.fmt(f)?;
    }
    write!(f, "</{}>", E::NAME)
}

impl AttrValue for u32 {
    const EXPECTED: &'static str = "a whole number";

    fn parse_attr(s: &str) -> Option<Self> {
        // `u32::from_str` also takes a leading `+`, which no Twilio library writes.
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
}

impl AttrValue for bool {
    const EXPECTED: &'static str = "`true` or `false`";

    fn parse_attr(s: &str) -> Option<Self> {
        match s {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

impl AttrValue for String {
    const EXPECTED: &'static str = "text";

    fn parse_attr(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_only_plain_digits() {
        assert_eq!(u32::parse_attr("0"), Some(0));
        assert_eq!(u32::parse_attr("0600"), Some(600));
        assert_eq!(u32::parse_attr("4294967295"), Some(u32::MAX));
        for bad in ["", "+5", "-1", " 5", "5 ", "1.5", "4294967296", "five"] {
            assert_eq!(u32::parse_attr(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn booleans_accept_only_lowercase_words() {
        assert_eq!(bool::parse_attr("true"), Some(true));
        assert_eq!(bool::parse_attr("false"), Some(false));
        for bad in ["True", "FALSE", "1", "yes", ""] {
            assert_eq!(bool::parse_attr(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn set_reports_what_was_expected() {
        let mut slot: Option<u32> = None;
        assert_eq!(
            set(&mut slot, "x"),
            Err(AttrError::Invalid {
                expected: "a whole number"
            })
        );
        assert_eq!(slot, None);
        assert_eq!(set(&mut slot, "7"), Ok(()));
        assert_eq!(slot, Some(7));
    }
}
