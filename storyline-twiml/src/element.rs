//! What every TwiML element shares: attribute values that know their wire spelling, and the one way
//! an element is written. Each verb lists its attributes once, in [`element!`], which both writes and
//! sets them from that list; the per-verb tests pin the wire names.

use std::fmt;

use crate::escape::escape_into;

/// A value that can sit in an attribute: written with [`AttrValue::write_attr`], read back with
/// [`AttrValue::parse_attr`].
pub(crate) trait AttrValue: Sized {
    /// What a valid value looks like, for error messages.
    const EXPECTED: &'static str;

    /// Appends the value as it goes between the quotes: text through the escaper, numbers and fixed
    /// spellings (which hold nothing to escape) as they are.
    fn write_attr(&self, out: &mut String);

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

/// A TwiML element: its name and its attributes. Implemented by [`element!`].
pub(crate) trait Element {
    /// The element name, as Twilio spells it.
    const NAME: &'static str;
    /// `<Name`, the start tag before its attributes.
    const START: &'static str;
    /// `</Name>`.
    const END: &'static str;

    /// Appends ` name="value"` for every attribute that is set, in the order the element lists them.
    fn write_attributes(&self, out: &mut String);

    /// Sets one attribute from its (unescaped) value.
    fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), AttrError>;
}

/// Implements [`Element`] from the element's name and its attributes, `"wireName" => field`, each field
/// an `Option` of an [`AttrValue`]. Attributes are written in the order listed.
macro_rules! element {
    ($ty:ty = $name:literal { $($attribute:literal => $field:ident),* $(,)? }) => {
        #[allow(unused_variables, reason = "an element without attributes neither writes nor sets one")]
        impl $crate::element::Element for $ty {
            const NAME: &'static str = $name;
            const START: &'static str = concat!("<", $name);
            const END: &'static str = concat!("</", $name, ">");

            fn write_attributes(&self, out: &mut String) {
                $($crate::element::write_attribute(out, concat!(" ", $attribute, "=\""), self.$field.as_ref());)*
            }

            fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), $crate::element::AttrError> {
                match name {
                    $($attribute => $crate::element::set(&mut self.$field, value),)*
                    _ => Err($crate::element::AttrError::Unknown),
                }
            }
        }
    };
}
pub(crate) use element;

/// Appends ` name="value"` (`open` is ` name="`), or nothing when the attribute is unset.
// Inlined into each element's list, `open` is a constant and is written without a call to `memcpy`.
#[inline(always)]
pub(crate) fn write_attribute<T: AttrValue>(out: &mut String, open: &'static str, value: Option<&T>) {
    if let Some(value) = value {
        out.push_str(open);
        value.write_attr(out);
        out.push('"');
    }
}

/// Something written as markup: an element, or a document.
pub(crate) trait Render {
    /// Appends the markup to `out`.
    fn render_into(&self, out: &mut String);
}

/// `Display` for a [`Render`]: the same bytes, so `to_string()` and rendering never differ.
pub(crate) fn display(value: &impl Render, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut out = String::new();
    value.render_into(&mut out);
    f.write_str(&out)
}

/// Writes an element whose content is text; `None` (no content at all) writes `<Name/>`.
pub(crate) fn write_text_element<E: Element>(out: &mut String, element: &E, text: Option<&str>) {
    out.push_str(E::START);
    element.write_attributes(out);
    match text {
        None => out.push_str("/>"),
        Some(text) => {
            out.push('>');
            escape_into(out, text);
            out.push_str(E::END);
        }
    }
}

/// Writes an element whose content is other elements; no children writes `<Name/>`.
pub(crate) fn write_parent_element<E: Element, C: Render>(out: &mut String, element: &E, children: &[C]) {
    out.push_str(E::START);
    element.write_attributes(out);
    if children.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for child in children {
            child.render_into(out);
        }
        out.push_str(E::END);
    }
}

impl AttrValue for u32 {
    const EXPECTED: &'static str = "a whole number";

    fn write_attr(&self, out: &mut String) {
        out.push_str(itoa::Buffer::new().format(*self));
    }

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

    fn write_attr(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }

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

    fn write_attr(&self, out: &mut String) {
        escape_into(out, self);
    }

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

    fn written<T: AttrValue>(value: T) -> String {
        let mut out = String::new();
        value.write_attr(&mut out);
        out
    }

    #[test]
    fn numbers_and_booleans_are_written_as_display_writes_them() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            600,
            14400,
            65535,
            1_000_000,
            u32::MAX - 1,
            u32::MAX,
        ] {
            assert_eq!(written(n), n.to_string());
        }
        assert_eq!(written(true), "true");
        assert_eq!(written(false), "false");
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(written(String::from(r#"a"b'c&"#)), "a&quot;b&apos;c&amp;");
    }
}
