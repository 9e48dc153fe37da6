//! The crate's only XML escaper: every text node and attribute value goes through [`escape_into`].

use std::fmt;

/// Writes `s` with the XML specials replaced by references.
///
/// One function serves text and attribute values alike, so it escapes everything either place needs:
/// both quote kinds, and tab, line feed and carriage return as character references, because an XML
/// parser folds a literal one into a space (attributes) or a line feed (line endings) and the value
/// would not come back as written. Characters XML 1.0 cannot carry at all, not even as a reference
/// (most C0 controls, U+FFFE, U+FFFF), are written as U+FFFD.
pub(crate) fn escape_into<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let mut clean_from = 0;
    for (i, c) in s.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\t' => "&#9;",
            '\n' => "&#10;",
            '\r' => "&#13;",
            c if !is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.write_str(&s[clean_from..i])?;
        out.write_str(replacement)?;
        clean_from = i + c.len_utf8();
    }
    out.write_str(&s[clean_from..])
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A [`fmt::Write`] adapter that escapes everything written through it, so `Display` values can be
/// written as attribute values without an intermediate `String`.
pub(crate) struct Escaped<'a, W: fmt::Write + ?Sized>(pub(crate) &'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s).unwrap();
        out
    }

    #[test]
    fn escapes_the_five_xml_specials() {
        assert_eq!(
            escaped(r#"a & b < c > d " e ' f"#),
            "a &amp; b &lt; c &gt; d &quot; e &apos; f"
        );
    }

    #[test]
    fn escapes_whitespace_that_xml_parsers_would_normalise() {
        assert_eq!(escaped("a\tb\nc\r\nd"), "a&#9;b&#10;c&#13;&#10;d");
    }

    #[test]
    fn replaces_characters_xml_cannot_carry() {
        assert_eq!(escaped("a\u{0}b\u{1B}c\u{FFFE}"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
    }

    #[test]
    fn keeps_plain_and_non_ascii_text_as_is() {
        assert_eq!(escaped("Grüß dich, 世界 🎙 ]]"), "Grüß dich, 世界 🎙 ]]");
        assert_eq!(escaped(""), "");
    }

    #[test]
    fn escapes_display_output_written_through_the_adapter() {
        let mut out = String::new();
        let (number, special) = (1, '&');
        write!(Escaped(&mut out), "{number}<{special}").unwrap();
        assert_eq!(out, "1&lt;&amp;");
    }
}
