//! What the parser refuses, and that the error says what and where.

use storyline_twiml::{ParseErrorKind, Response};

fn refuse(xml: &str) -> (ParseErrorKind, usize) {
    match Response::parse(xml) {
        Ok(response) => panic!("accepted {xml:?} as {response:?}"),
        Err(error) => (error.kind().clone(), error.position().offset),
    }
}

fn owned(element: &str, parent: &str) -> (String, String) {
    (element.to_owned(), parent.to_owned())
}

#[test]
fn refuses_unknown_verbs_at_their_position() {
    let (kind, offset) = refuse("<Response><Dial>+15550100</Dial></Response>");
    assert_eq!(
        kind,
        ParseErrorKind::UnknownElement {
            element: "Dial".into(),
            parent: "Response".into()
        }
    );
    assert_eq!(offset, 10);
}

#[test]
fn refuses_verbs_gather_cannot_hold() {
    for verb in ["<Record/>", "<Gather/>", "<Redirect>/x</Redirect>", "<Hangup/>"] {
        let (kind, _) = refuse(&format!("<Response><Gather>{verb}</Gather></Response>"));
        let ParseErrorKind::NestingNotAllowed { element, parent } = kind else {
            panic!("{kind:?}")
        };
        assert_eq!(parent, "Gather");
        assert!(verb.starts_with(&format!("<{element}")), "{element}");
    }
}

#[test]
fn refuses_elements_inside_text_and_empty_verbs() {
    let cases = [
        ("<Response><Say>Hi <break/></Say></Response>", owned("break", "Say")),
        (
            "<Response><Pause><Say>x</Say></Pause></Response>",
            owned("Say", "Pause"),
        ),
        ("<Response><Response/></Response>", owned("Response", "Response")),
    ];
    for (xml, (element, parent)) in cases {
        let (kind, _) = refuse(xml);
        match kind {
            ParseErrorKind::NestingNotAllowed { element: e, parent: p }
            | ParseErrorKind::UnknownElement { element: e, parent: p } => {
                assert_eq!((e, p), (element.clone(), parent.clone()), "{xml}")
            }
            other => panic!("{xml}: {other:?}"),
        }
    }
}

#[test]
fn refuses_unknown_attributes() {
    let (kind, offset) = refuse("<Response>\n<Say colour=\"red\">x</Say></Response>");
    assert_eq!(
        kind,
        ParseErrorKind::UnknownAttribute {
            element: "Say".into(),
            attribute: "colour".into()
        }
    );
    assert_eq!(offset, 11);
    let (kind, _) = refuse(r#"<Response xmlns="urn:x"/>"#);
    assert!(matches!(kind, ParseErrorKind::UnknownAttribute { .. }), "{kind:?}");
}

#[test]
fn refuses_bad_numbers_booleans_and_enum_values() {
    let cases = [
        (r#"<Pause length="1.5"/>"#, "Pause", "length", "1.5"),
        (r#"<Pause length="-1"/>"#, "Pause", "length", "-1"),
        (
            r#"<Record maxLength="99999999999"/>"#,
            "Record",
            "maxLength",
            "99999999999",
        ),
        (r#"<Record playBeep="yes"/>"#, "Record", "playBeep", "yes"),
        (r#"<Record trim="trim"/>"#, "Record", "trim", "trim"),
        (r#"<Record method="PUT"/>"#, "Record", "method", "PUT"),
        (
            r#"<Record recordingStatusCallbackEvent="done"/>"#,
            "Record",
            "recordingStatusCallbackEvent",
            "done",
        ),
        (r#"<Gather input="keys"/>"#, "Gather", "input", "keys"),
        (r#"<Gather speechTimeout="soon"/>"#, "Gather", "speechTimeout", "soon"),
        (r#"<Say loop="&#50;x">a</Say>"#, "Say", "loop", "2x"),
    ];
    for (verb, element, attribute, value) in cases {
        let (kind, _) = refuse(&format!("<Response>{verb}</Response>"));
        let ParseErrorKind::InvalidValue {
            element: e,
            attribute: a,
            value: v,
            ..
        } = kind
        else {
            panic!("{verb}: {kind:?}")
        };
        assert_eq!((e.as_str(), a.as_str(), v.as_str()), (element, attribute, value));
    }
}

#[test]
fn refuses_text_where_only_elements_go() {
    for (xml, element) in [
        ("<Response>hello</Response>", "Response"),
        ("<Response><Gather>Press 1</Gather></Response>", "Gather"),
        ("<Response><Hangup>now</Hangup></Response>", "Hangup"),
        ("<Response><Record><![CDATA[x]]></Record></Response>", "Record"),
    ] {
        assert_eq!(
            refuse(xml).0,
            ParseErrorKind::TextNotAllowed {
                element: element.into()
            },
            "{xml}"
        );
    }
}

#[test]
fn refuses_other_roots_and_missing_roots() {
    assert_eq!(
        refuse("<Say>x</Say>").0,
        ParseErrorKind::UnexpectedRoot { found: "Say".into() }
    );
    assert_eq!(refuse("").0, ParseErrorKind::MissingResponse);
    assert_eq!(
        refuse("<?xml version=\"1.0\"?> <!-- -->").0,
        ParseErrorKind::MissingResponse
    );
}

#[test]
fn refuses_content_outside_response() {
    for xml in [
        "x<Response/>",
        "<Response/>x",
        "<Response/><Response/>",
        "<Response/><![CDATA[ ]]>",
    ] {
        assert_eq!(refuse(xml).0, ParseErrorKind::ContentOutsideResponse, "{xml}");
    }
}

#[test]
fn refuses_doctypes_and_custom_entities() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "boom">]><Response><Say>&x;</Say></Response>"#;
    assert_eq!(refuse(xml).0, ParseErrorKind::Doctype);
    let (kind, _) = refuse("<Response><Say>&x;</Say></Response>");
    assert!(matches!(kind, ParseErrorKind::InvalidReference { .. }), "{kind:?}");
    let (kind, _) = refuse(r#"<Response><Say voice="&nbsp;">x</Say></Response>"#);
    assert!(matches!(kind, ParseErrorKind::InvalidReference { .. }), "{kind:?}");
    let (kind, _) = refuse("<Response><Say>a & b</Say></Response>");
    assert!(matches!(kind, ParseErrorKind::InvalidReference { .. }), "{kind:?}");
}

#[test]
fn refuses_processing_instructions_and_late_declarations() {
    assert_eq!(
        refuse("<?php echo 1 ?><Response/>").0,
        ParseErrorKind::ProcessingInstruction
    );
    assert_eq!(
        refuse(" <?xml version=\"1.0\"?><Response/>").0,
        ParseErrorKind::MisplacedDeclaration
    );
}

#[test]
fn refuses_characters_xml_forbids() {
    assert_eq!(
        refuse("<Response><Say>a\u{1}</Say></Response>"),
        (ParseErrorKind::InvalidCharacter { character: '\u{1}' }, 16)
    );
    let (kind, _) = refuse("<Response><Say>&#1;</Say></Response>");
    assert_eq!(kind, ParseErrorKind::InvalidCharacter { character: '\u{1}' });
    let (kind, _) = refuse("<Response><Say>&#0;</Say></Response>");
    assert!(matches!(kind, ParseErrorKind::InvalidReference { .. }), "{kind:?}");
}

#[test]
fn refuses_malformed_xml() {
    for xml in [
        "<Response>",
        "<Response><Say>x</Response>",
        "<Response><Say voice=alice>x</Say></Response>",
        r#"<Response><Say voice="a" voice="b">x</Say></Response>"#,
        "<Response><!-- a -- b --></Response>",
        "<Response",
        "</Response>",
    ] {
        let (kind, _) = refuse(xml);
        assert!(
            matches!(
                kind,
                ParseErrorKind::Malformed { .. } | ParseErrorKind::UnexpectedEnd { .. }
            ),
            "{xml}: {kind:?}"
        );
    }
}

#[test]
fn reports_line_and_column_in_the_message() {
    let error = Response::parse("<Response>\n  <Pause length=\"soon\"/>\n</Response>").unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"invalid value "soon" for attribute "length" on <Pause>: expected a whole number (line 2, column 3)"#
    );
}
