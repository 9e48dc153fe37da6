//! XML's end-of-line and attribute-value normalisation, which quick-xml leaves to its caller.

use std::borrow::Cow;

pub(super) fn is_xml_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML reads `\r\n` and a lone `\r` as `\n` (references such as `&#13;` are kept, so this runs before unescaping).
pub(super) fn normalize_line_ends(raw: &str) -> Cow<'_, str> {
    if raw.contains('\r') {
        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// XML reads every literal whitespace character in an attribute value as a space, a line end as one.
pub(super) fn normalize_attribute(raw: &str) -> Cow<'_, str> {
    if raw.contains(['\t', '\n', '\r']) {
        Cow::Owned(raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " "))
    } else {
        Cow::Borrowed(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_become_line_feeds() {
        assert_eq!(normalize_line_ends("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert!(matches!(normalize_line_ends("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn attribute_whitespace_becomes_single_spaces() {
        assert_eq!(normalize_attribute("a\r\nb\tc\nd\re"), "a b c d e");
        assert_eq!(normalize_attribute("&#10;"), "&#10;");
    }

    #[test]
    fn only_the_four_xml_whitespace_bytes_are_blank() {
        assert!(b" \t\r\n".iter().copied().all(is_xml_space));
        assert!(!is_xml_space(0x0C));
        assert!(!is_xml_space(0xA0));
    }
}
