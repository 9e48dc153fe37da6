//! Reading TwiML back into the verb types, refusing anything they cannot hold.

mod error;
mod text;

use std::str;

use quick_xml::{
    Reader,
    escape::unescape,
    events::{BytesStart, Event},
};

pub use error::{ParseError, ParseErrorKind, Position};
use text::{is_xml_space, normalize_attribute, normalize_line_ends};

use crate::{
    Gather, GatherVerb, Hangup, Pause, Play, Record, Redirect, Response, Say, Verb,
    element::{AttrError, Element},
    escape::is_xml_char,
};

/// Every element name this crate knows, so an out-of-place one is told apart from an unknown one.
const KNOWN_ELEMENTS: [&str; 8] = [
    "Response", "Say", "Play", "Pause", "Record", "Gather", "Redirect", "Hangup",
];

pub(crate) fn parse(input: &str) -> Result<Response, ParseError> {
    if let Some((offset, character)) = input.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        return Err(ParseError::new(
            ParseErrorKind::InvalidCharacter { character },
            input,
            offset,
        ));
    }
    Parser::new(input).document()
}

/// What an element holds next.
enum Content<'a> {
    Element {
        at: usize,
        start: BytesStart<'a>,
        empty: bool,
    },
    Text {
        at: usize,
        text: String,
        blank: bool,
    },
    End,
}

/// A child element: where it starts, its start tag, and whether it was self-closing.
type Child<'a> = (usize, BytesStart<'a>, bool);

struct Parser<'a> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        let mut reader = Reader::from_str(input);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_comments = true;
        config.expand_empty_elements = false;
        Self { input, reader }
    }

    fn error(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::new(kind, self.input, offset)
    }

    fn next(&mut self) -> Result<(usize, Event<'a>), ParseError> {
        let at = offset(self.reader.buffer_position());
        match self.reader.read_event() {
            Ok(event) => Ok((at, event)),
            Err(error) => {
                let at = offset(self.reader.error_position());
                Err(self.error(
                    at,
                    ParseErrorKind::Malformed {
                        message: error.to_string(),
                    },
                ))
            }
        }
    }

    fn document(mut self) -> Result<Response, ParseError> {
        let mut response = None;
        let mut first = true;
        loop {
            let (at, event) = self.next()?;
            match event {
                Event::Decl(_) if first => {}
                Event::Decl(_) => return Err(self.error(at, ParseErrorKind::MisplacedDeclaration)),
                Event::PI(_) => return Err(self.error(at, ParseErrorKind::ProcessingInstruction)),
                Event::DocType(_) => return Err(self.error(at, ParseErrorKind::Doctype)),
                Event::Comment(_) => {}
                Event::Text(text) if text.iter().copied().all(is_xml_space) => {}
                Event::Start(_) | Event::Empty(_) if response.is_some() => {
                    return Err(self.error(at, ParseErrorKind::ContentOutsideResponse));
                }
                Event::Text(_) | Event::CData(_) | Event::End(_) => {
                    return Err(self.error(at, ParseErrorKind::ContentOutsideResponse));
                }
                Event::Start(start) => response = Some(self.response(at, &start, false)?),
                Event::Empty(start) => response = Some(self.response(at, &start, true)?),
                Event::Eof => {
                    return response.ok_or_else(|| self.error(at, ParseErrorKind::MissingResponse));
                }
            }
            first = false;
        }
    }

    fn response(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Response, ParseError> {
        let name = self.name(at, start)?;
        if name != Response::NAME {
            return Err(self.error(at, ParseErrorKind::UnexpectedRoot { found: name.to_owned() }));
        }
        let mut response = Response::new();
        self.attributes(at, start, &mut response)?;
        if !empty {
            while let Some((at, start, empty)) = self.next_child(Response::NAME)? {
                let verb = self.verb(at, &start, empty)?;
                response.push(verb);
            }
        }
        Ok(response)
    }

    fn verb(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Verb, ParseError> {
        Ok(match self.name(at, start)? {
            "Say" => Verb::Say(self.say(at, start, empty)?),
            "Play" => Verb::Play(self.play(at, start, empty)?),
            "Pause" => Verb::Pause(self.leaf(at, start, empty)?),
            "Record" => Verb::Record(self.leaf::<Record>(at, start, empty)?),
            "Gather" => Verb::Gather(self.gather(at, start, empty)?),
            "Redirect" => Verb::Redirect(self.redirect(at, start, empty)?),
            "Hangup" => Verb::Hangup(self.leaf::<Hangup>(at, start, empty)?),
            other => return Err(self.misplaced(at, other, Response::NAME)),
        })
    }

    fn gather(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Gather, ParseError> {
        let mut gather = Gather::new();
        self.attributes(at, start, &mut gather)?;
        if !empty {
            while let Some((at, start, empty)) = self.next_child(Gather::NAME)? {
                let verb = match self.name(at, &start)? {
                    "Say" => GatherVerb::Say(self.say(at, &start, empty)?),
                    "Play" => GatherVerb::Play(self.play(at, &start, empty)?),
                    "Pause" => GatherVerb::Pause(self.leaf::<Pause>(at, &start, empty)?),
                    other => return Err(self.misplaced(at, other, Gather::NAME)),
                };
                gather.verbs.push(verb);
            }
        }
        Ok(gather)
    }

    fn say(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Say, ParseError> {
        let (mut say, text) = self.text_element::<Say>(at, start, empty)?;
        say.text = text.unwrap_or_default();
        Ok(say)
    }

    fn play(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Play, ParseError> {
        let (mut play, url) = self.text_element::<Play>(at, start, empty)?;
        play.url = url.map(Into::into);
        Ok(play)
    }

    fn redirect(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<Redirect, ParseError> {
        let (mut redirect, url) = self.text_element::<Redirect>(at, start, empty)?;
        redirect.url = url.unwrap_or_default().into();
        Ok(redirect)
    }

    /// An element with attributes and no content (whitespace and comments aside).
    fn leaf<E: Element + Default>(&mut self, at: usize, start: &BytesStart<'a>, empty: bool) -> Result<E, ParseError> {
        let mut element = E::default();
        self.attributes(at, start, &mut element)?;
        if !empty && let Some((at, child, _)) = self.next_child(E::NAME)? {
            let name = self.name(at, &child)?;
            return Err(self.misplaced(at, name, E::NAME));
        }
        Ok(element)
    }

    /// An element with attributes and text; the text is `None` for a self-closing tag.
    fn text_element<E: Element + Default>(
        &mut self,
        at: usize,
        start: &BytesStart<'a>,
        empty: bool,
    ) -> Result<(E, Option<String>), ParseError> {
        let mut element = E::default();
        self.attributes(at, start, &mut element)?;
        if empty {
            return Ok((element, None));
        }
        let mut text = String::new();
        loop {
            match self.content(E::NAME)? {
                Content::Text { text: more, .. } => text.push_str(&more),
                Content::Element { at, start, .. } => {
                    let name = self.name(at, &start)?;
                    return Err(self.error(
                        at,
                        ParseErrorKind::NestingNotAllowed {
                            element: name.to_owned(),
                            parent: E::NAME.to_owned(),
                        },
                    ));
                }
                Content::End => return Ok((element, Some(text))),
            }
        }
    }

    /// The next child element of an element that holds only elements, or `None` at its end.
    fn next_child(&mut self, parent: &str) -> Result<Option<Child<'a>>, ParseError> {
        loop {
            match self.content(parent)? {
                Content::Element { at, start, empty } => return Ok(Some((at, start, empty))),
                Content::Text { blank: true, .. } => {}
                Content::Text { at, .. } => {
                    return Err(self.error(
                        at,
                        ParseErrorKind::TextNotAllowed {
                            element: parent.to_owned(),
                        },
                    ));
                }
                Content::End => return Ok(None),
            }
        }
    }

    /// The next piece of content inside `parent`, comments skipped.
    fn content(&mut self, parent: &str) -> Result<Content<'a>, ParseError> {
        loop {
            let (at, event) = self.next()?;
            return Ok(match event {
                Event::Comment(_) => continue,
                Event::Start(start) => Content::Element {
                    at,
                    start,
                    empty: false,
                },
                Event::Empty(start) => Content::Element { at, start, empty: true },
                Event::End(_) => Content::End,
                Event::Text(raw) => {
                    let raw = self.utf8(at, &raw)?;
                    let text = unescape(&normalize_line_ends(raw))
                        .map_err(|error| {
                            self.error(
                                at,
                                ParseErrorKind::InvalidReference {
                                    message: error.to_string(),
                                },
                            )
                        })?
                        .into_owned();
                    self.check_characters(at, &text)?;
                    Content::Text {
                        at,
                        blank: raw.bytes().all(is_xml_space),
                        text,
                    }
                }
                Event::CData(raw) => {
                    let raw = self.utf8(at, &raw)?;
                    Content::Text {
                        at,
                        blank: raw.bytes().all(is_xml_space),
                        text: normalize_line_ends(raw).into_owned(),
                    }
                }
                Event::Decl(_) => return Err(self.error(at, ParseErrorKind::MisplacedDeclaration)),
                Event::PI(_) => return Err(self.error(at, ParseErrorKind::ProcessingInstruction)),
                Event::DocType(_) => return Err(self.error(at, ParseErrorKind::Doctype)),
                Event::Eof => {
                    return Err(self.error(
                        at,
                        ParseErrorKind::UnexpectedEnd {
                            element: parent.to_owned(),
                        },
                    ));
                }
            });
        }
    }

    fn attributes<E: Element>(&self, at: usize, start: &BytesStart<'a>, element: &mut E) -> Result<(), ParseError> {
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| {
                self.error(
                    at,
                    ParseErrorKind::Malformed {
                        message: error.to_string(),
                    },
                )
            })?;
            let name = self.utf8(at, attribute.key.as_ref())?;
            let raw = self.utf8(at, &attribute.value)?;
            let normalized = normalize_attribute(raw);
            let value = unescape(&normalized).map_err(|error| {
                self.error(
                    at,
                    ParseErrorKind::InvalidReference {
                        message: error.to_string(),
                    },
                )
            })?;
            self.check_characters(at, &value)?;
            element.set_attribute(name, &value).map_err(|error| {
                let (element, attribute) = (E::NAME.to_owned(), name.to_owned());
                let kind = match error {
                    AttrError::Unknown => ParseErrorKind::UnknownAttribute { element, attribute },
                    AttrError::Invalid { expected } => ParseErrorKind::InvalidValue {
                        element,
                        attribute,
                        value: value.clone().into_owned(),
                        expected,
                    },
                };
                self.error(at, kind)
            })?;
        }
        Ok(())
    }

    fn name<'s>(&self, at: usize, start: &'s BytesStart<'a>) -> Result<&'s str, ParseError> {
        self.utf8(at, start.name().into_inner())
    }

    fn misplaced(&self, at: usize, element: &str, parent: &str) -> ParseError {
        let (element, parent) = (element.to_owned(), parent.to_owned());
        if KNOWN_ELEMENTS.contains(&element.as_str()) {
            self.error(at, ParseErrorKind::NestingNotAllowed { element, parent })
        } else {
            self.error(at, ParseErrorKind::UnknownElement { element, parent })
        }
    }

    /// Character references can name characters XML forbids even when the raw text is clean.
    fn check_characters(&self, at: usize, text: &str) -> Result<(), ParseError> {
        match text.chars().find(|c| !is_xml_char(*c)) {
            Some(character) => Err(self.error(at, ParseErrorKind::InvalidCharacter { character })),
            None => Ok(()),
        }
    }

    /// The reader hands out slices of the input cut at ASCII markup, so this only fails if that changes.
    fn utf8<'s>(&self, at: usize, bytes: &'s [u8]) -> Result<&'s str, ParseError> {
        str::from_utf8(bytes).map_err(|error| {
            self.error(
                at,
                ParseErrorKind::Malformed {
                    message: error.to_string(),
                },
            )
        })
    }
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}
