//! A structural view of an XML document, independent of this crate's parser, for comparing
//! rendered TwiML with what the official libraries write.

use std::collections::BTreeMap;

use quick_xml::{Reader, events::Event};

/// An element: name, attributes as a set, and content (adjacent text merged).
#[derive(Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub content: Vec<Content>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Content {
    Element(Node),
    Text(String),
}

/// Reads `xml` into its root [`Node`], panicking on anything that is not well-formed.
pub fn tree(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed xml") {
            Event::Start(start) => stack.push(node(&start)),
            Event::Empty(start) => {
                let node = node(&start);
                match stack.last_mut() {
                    Some(parent) => parent.content.push(Content::Element(node)),
                    None => return node,
                }
            }
            Event::End(_) => {
                let node = stack.pop().expect("balanced tags");
                match stack.last_mut() {
                    Some(parent) => parent.content.push(Content::Element(node)),
                    None => return node,
                }
            }
            Event::Text(text) => {
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &text.unescape().expect("valid references"));
                }
            }
            Event::CData(text) => {
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, std::str::from_utf8(&text).unwrap());
                }
            }
            Event::Eof => panic!("no root element"),
            _ => {}
        }
    }
}

fn node(start: &quick_xml::events::BytesStart<'_>) -> Node {
    let attributes = start
        .attributes()
        .map(|attribute| {
            let attribute = attribute.expect("valid attribute");
            let key = String::from_utf8(attribute.key.as_ref().to_vec()).unwrap();
            (key, attribute.unescape_value().expect("valid references").into_owned())
        })
        .collect();
    Node {
        name: String::from_utf8(start.name().as_ref().to_vec()).unwrap(),
        attributes,
        content: Vec::new(),
    }
}

fn push_text(parent: &mut Node, text: &str) {
    if let Some(Content::Text(existing)) = parent.content.last_mut() {
        existing.push_str(text);
    } else {
        parent.content.push(Content::Text(text.to_owned()));
    }
}
