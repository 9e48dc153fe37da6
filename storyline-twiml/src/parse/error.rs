use std::fmt;

/// Why a TwiML document was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} ({position})")]
pub struct ParseError {
    kind: ParseErrorKind,
    position: Position,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, input: &str, offset: usize) -> Self {
        Self {
            kind,
            position: Position::of(input, offset),
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// Where in the input: the offending element, attribute's element, text or character.
    pub fn position(&self) -> Position {
        self.position
    }
}

/// A place in the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Byte offset from the start, counting from 0.
    pub offset: usize,
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters, counting from 1.
    pub column: usize,
}

impl Position {
    fn of(input: &str, offset: usize) -> Self {
        let offset = offset.min(input.len());
        let before = &input.as_bytes()[..offset];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Counting bytes that do not continue a UTF-8 sequence counts characters, even if the
        // offset itself falls inside one.
        let column = before[line_start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        Self { offset, line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What was wrong with a TwiML document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text is not well-formed XML.
    #[error("malformed xml: {message}")]
    Malformed {
        /// The XML reader's description.
        message: String,
    },
    /// A character XML does not allow, written directly or as a character reference.
    #[error("character {character:?} is not allowed in xml")]
    InvalidCharacter {
        /// The character.
        character: char,
    },
    /// An entity other than the five XML predefines, or a broken reference.
    #[error("invalid reference: {message}")]
    InvalidReference {
        /// The XML reader's description.
        message: String,
    },
    /// A `<!DOCTYPE>`: refused, since it could declare entities.
    #[error("document type declarations are not allowed")]
    Doctype,
    /// A processing instruction other than the XML declaration.
    #[error("processing instructions are not allowed")]
    ProcessingInstruction,
    /// An XML declaration that does not open the document.
    #[error("the xml declaration must open the document")]
    MisplacedDeclaration,
    /// No root element at all.
    #[error("the document has no <Response> element")]
    MissingResponse,
    /// A root element other than `<Response>`.
    #[error("expected <Response> as the root element, found <{found}>")]
    UnexpectedRoot {
        /// The root element's name.
        found: String,
    },
    /// Text before `<Response>` or anything but comments after it.
    #[error("content outside <Response>")]
    ContentOutsideResponse,
    /// An element that is not a verb this crate models.
    #[error("unknown element <{element}> inside <{parent}>")]
    UnknownElement {
        /// The element's name.
        element: String,
        /// The element it appeared in.
        parent: String,
    },
    /// A known element where it may not appear, such as `<Record>` inside `<Gather>`.
    #[error("<{element}> is not allowed inside <{parent}>")]
    NestingNotAllowed {
        /// The element's name.
        element: String,
        /// The element it appeared in.
        parent: String,
    },
    /// An attribute the element does not have.
    #[error("unknown attribute {attribute:?} on <{element}>")]
    UnknownAttribute {
        /// The element's name.
        element: String,
        /// The attribute's name.
        attribute: String,
    },
    /// An attribute value the attribute does not accept.
    #[error("invalid value {value:?} for attribute {attribute:?} on <{element}>: expected {expected}")]
    InvalidValue {
        /// The element's name.
        element: String,
        /// The attribute's name.
        attribute: String,
        /// The value, unescaped.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// Text (other than whitespace) in an element that only holds elements or nothing.
    #[error("text is not allowed inside <{element}>")]
    TextNotAllowed {
        /// The element's name.
        element: String,
    },
    /// The input ends while an element is still open.
    #[error("the document ends before </{element}>")]
    UnexpectedEnd {
        /// The open element's name.
        element: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let input = "ab\ncdé\nxyz";
        let at = |offset| {
            let position = Position::of(input, offset);
            (position.offset, position.line, position.column)
        };
        assert_eq!(at(0), (0, 1, 1));
        assert_eq!(at(3), (3, 2, 1));
        assert_eq!(at(7), (7, 2, 4));
        assert_eq!(at(8), (8, 3, 1));
        assert_eq!(at(99), (11, 3, 4));
    }

    #[test]
    fn messages_name_the_culprit_and_place() {
        let error = ParseError::new(
            ParseErrorKind::UnknownAttribute {
                element: "Say".into(),
                attribute: "colour".into(),
            },
            "<Response>\n  <Say colour=\"red\"/>",
            13,
        );
        assert_eq!(
            error.to_string(),
            r#"unknown attribute "colour" on <Say> (line 2, column 3)"#
        );
    }
}
