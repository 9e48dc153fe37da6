//! The crate's only XML escaper: every text node and attribute value goes through [`escape_into`].

/// Appends `s` to `out` with the XML specials replaced by references.
///
/// One function serves text and attribute values alike, so it escapes everything either place needs:
/// both quote kinds, and tab, line feed and carriage return as character references, because an XML
/// parser folds a literal one into a space (attributes) or a line feed (line endings) and the value
/// would not come back as written. Characters XML 1.0 cannot carry at all, not even as a reference
/// (most C0 controls, U+FFFE, U+FFFF), are written as U+FFFD.
///
/// It works on bytes: every character it changes is ASCII except U+FFFE and U+FFFF, whose UTF-8 both
/// start with `0xEF`, so looking for a few byte values finds them all, and text with nothing to escape
/// is one scan and one copy.
#[inline(always)]
pub(crate) fn escape_into(out: &mut String, s: &str) {
    if has_a_byte_to_look_at(s.as_bytes()) {
        escape_each(out, s);
    } else {
        out.push_str(s);
    }
}

/// [`escape_into`] for text that holds at least one byte to look at.
#[inline(never)]
fn escape_each(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut clean_from = 0;
    for start in (0..bytes.len()).step_by(8) {
        let mut hits = bytes_to_look_at(word_at(bytes, start));
        while hits != 0 {
            let at = start + hits.trailing_zeros() as usize / 8;
            hits &= hits - 1;
            let (replacement, len) = match bytes[at] {
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF; any other character starting with 0xEF is kept.
                0xEF if matches!(bytes[at + 1..at + 3], [0xBF, 0xBE | 0xBF]) => ("\u{FFFD}", 3),
                0xEF => continue,
                ascii => (WRITTEN_AS[usize::from(ascii)], 1),
            };
            out.push_str(&s[clean_from..at]);
            out.push_str(replacement);
            clean_from = at + len;
        }
    }
    out.push_str(&s[clean_from..]);
}

/// What each byte below 0x40 that [`needs_a_look`] is written as, looked up rather than matched, so
/// that no jump depends on the byte.
static WRITTEN_AS: [&str; 0x40] = {
    let mut table = [""; 0x40];
    let mut b = 0;
    while b < table.len() {
        table[b] = written_as(b as u8);
        b += 1;
    }
    table
};

/// What an ASCII byte that [`needs_a_look`] is written as.
const fn written_as(b: u8) -> &'static str {
    match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        b'\'' => "&apos;",
        b'\t' => "&#9;",
        b'\n' => "&#10;",
        b'\r' => "&#13;",
        // Every other byte that needs a look is a C0 control, which XML cannot carry.
        _ => "\u{FFFD}",
    }
}

/// The eight bytes from `start`, little end first, padded with spaces past the end of `bytes`.
fn word_at(bytes: &[u8], start: usize) -> u64 {
    let mut word = [b' '; 8];
    match bytes.get(start..start + 8) {
        Some(eight) => word.copy_from_slice(eight),
        None => word[..bytes.len() - start].copy_from_slice(&bytes[start..]),
    }
    u64::from_le_bytes(word)
}

/// Eight bytes at once: the high bit of each byte of the result is set where `word` has a byte that
/// [`needs_a_look`], and every other bit is clear. Each byte is computed apart (no carry crosses into
/// the next), so the lowest set bit gives the first such byte.
fn bytes_to_look_at(word: u64) -> u64 {
    const LOW7: u64 = u64::from_ne_bytes([0x7F; 8]);
    let each = |b: u8| u64::from_ne_bytes([b; 8]);
    // A byte's low seven bits plus 0x7F reach its high bit unless they are all zero.
    let zero = |v: u64| !(((v & LOW7) + LOW7) | v) & !LOW7;
    // And plus 0x60 reach it unless they are below 0x20: a C0 control, when the high bit is clear too.
    let control = !(((word & LOW7) + each(0x80 - 0x20)) | word) & !LOW7;
    control
        | zero(word ^ each(b'"'))
        | zero((word & each(0xFE)) ^ each(b'&'))
        | zero((word & each(0xFD)) ^ each(b'<'))
        | zero(word ^ each(0xEF))
}

/// Whether any byte of a window [`needs_a_look`]: written without stopping at the first hit, a form the
/// compiler turns into a few SIMD instructions when the window's length is known.
#[inline(always)]
fn any_in(window: &[u8]) -> bool {
    window.iter().fold(false, |found, &b| found | needs_a_look(b))
}

/// Whether [`escape_into`] has anything to do in `bytes`. The bytes are checked in fixed windows, the
/// last one overlapping the one before, so text of four bytes or more is never checked a byte at a time.
#[inline(always)]
fn has_a_byte_to_look_at(bytes: &[u8]) -> bool {
    let len = bytes.len();
    match len {
        0..4 => any_in(bytes),
        4..8 => any_in(&bytes[..4]) | any_in(&bytes[len - 4..]),
        8..=16 => any_in(&bytes[..8]) | any_in(&bytes[len - 8..]),
        _ => bytes.chunks_exact(16).any(any_in) || any_in(&bytes[len - 16..]),
    }
}

/// Whether `b` is a byte [`escape_into`] must look at, with `|` rather than `||` or `matches!` so the
/// compiler can check many bytes at once (`&` and `'` are 0x26 and 0x27, `<` and `>` 0x3C
/// and 0x3E).
#[inline(always)]
fn needs_a_look(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b & 0xFE == b'&') | (b & 0xFD == b'<') | (b == 0xEF)
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
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
    fn keeps_other_characters_that_start_like_the_two_non_characters() {
        // U+F000, U+FEFF, U+FFBF, U+FFFD are EF 80 80, EF BB BF, EF BE BF, EF BF BD.
        assert_eq!(
            escaped("\u{F000}\u{FEFF}\u{FFBF}\u{FFFD}\u{FFFF}&"),
            "\u{F000}\u{FEFF}\u{FFBF}\u{FFFD}\u{FFFD}&amp;"
        );
        assert_eq!(escaped("\u{FFFF}"), "\u{FFFD}");
        assert_eq!(escaped("abcdef\u{FFFE}gh\u{FFBE}&"), "abcdef\u{FFFD}gh\u{FFBE}&amp;");
        assert_eq!(escaped("\u{FFFD}"), "\u{FFFD}");
    }

    #[test]
    fn both_byte_tests_pick_the_same_bytes() {
        for b in 0..=u8::MAX {
            let expected = matches!(b, 0x00..=0x1F | b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF);
            assert_eq!(needs_a_look(b), expected, "{b:#04x}");
            for i in 0..8 {
                let mut word = [b'a'; 8];
                word[i] = b;
                let mask = if expected { 0x80 << (8 * i) } else { 0 };
                assert_eq!(bytes_to_look_at(u64::from_le_bytes(word)), mask, "{b:#04x} at {i}");
            }
        }
    }

    /// The escaper as first written, a character at a time: the byte-wise one must agree with it.
    fn escaped_char_by_char(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '\t' => out.push_str("&#9;"),
                '\n' => out.push_str("&#10;"),
                '\r' => out.push_str("&#13;"),
                c if !is_xml_char(c) => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn agrees_with_a_character_at_a_time(
            s in prop::collection::vec(
                prop_oneof![
                    any::<char>().prop_map(String::from),
                    (0u32..0x80).prop_map(|c| String::from(char::from_u32(c).unwrap())),
                    (0xF000u32..=0xFFFF).prop_filter_map("scalar", char::from_u32).prop_map(String::from),
                    // Runs of bytes with nothing to escape, so hits land anywhere in and across blocks.
                    "[a-z0-9/.:?=]{1,40}",
                ],
                0..12,
            )
            .prop_map(|pieces| pieces.concat())
        ) {
            prop_assert_eq!(escaped(&s), escaped_char_by_char(&s));
        }
    }
}
