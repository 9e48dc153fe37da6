//! What the parser accepts beyond the exact strings the official libraries write.

use storyline_twiml::{
    Gather, GatherVerb, Input, Pause, Play, Record, RecordingEvent, Redirect, Response, Say, SpeechModel,
    SpeechTimeout, Verb,
};

fn parse(xml: &str) -> Response {
    Response::parse(xml).unwrap_or_else(|error| panic!("{error}: {xml}"))
}

#[test]
fn accepts_documents_without_declaration() {
    assert_eq!(parse("<Response><Hangup/></Response>"), Response::new().hangup());
}

#[test]
fn accepts_insignificant_whitespace_and_comments_between_elements() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- greeting -->\n<Response>\n  <Say>Hi</Say>\n\t<Gather >\n    <Pause/>\n  </Gather>\n  <Hangup />\n</Response>\n<!-- end -->\n";
    let expected = Response::new()
        .say(Say::new("Hi"))
        .gather(Gather::new().pause(Pause::new()))
        .hangup();
    assert_eq!(parse(xml), expected);
}

#[test]
fn accepts_a_byte_order_mark() {
    assert_eq!(parse("\u{FEFF}<?xml version=\"1.0\"?><Response/>"), Response::new());
}

#[test]
fn accepts_attributes_in_any_order_and_either_quote() {
    let a = parse(r#"<Response><Say voice="alice" language='en-GB' loop="3">x</Say></Response>"#);
    let b = parse(r#"<Response><Say loop='3' language="en-GB" voice='alice'>x</Say></Response>"#);
    assert_eq!(a, b);
    assert_eq!(
        a,
        Response::new().say(Say::new("x").voice("alice").language("en-GB").loop_count(3))
    );
}

#[test]
fn keeps_text_exactly_including_surrounding_whitespace() {
    let response = parse("<Response><Say>  Hello,\n  world  </Say></Response>");
    assert_eq!(response.verbs(), [Verb::Say(Say::new("  Hello,\n  world  "))]);
}

#[test]
fn decodes_references_and_cdata_in_text() {
    let response = parse("<Response><Say>&lt;&#65;&#x42;&amp;&quot;&apos;&gt;<![CDATA[<raw> & ]]>end</Say></Response>");
    assert_eq!(response.verbs(), [Verb::Say(Say::new("<AB&\"'><raw> & end"))]);
}

#[test]
fn normalizes_line_ends_but_keeps_referenced_carriage_returns() {
    let response = parse("<Response><Say>a\r\nb\rc&#13;&#10;d</Say></Response>");
    assert_eq!(response.verbs(), [Verb::Say(Say::new("a\nb\nc\r\nd"))]);
}

#[test]
fn normalizes_literal_whitespace_in_attributes_to_spaces() {
    let response = parse(
        "<Response><Record recordingStatusCallbackEvent=\"in-progress\n\tabsent\" finishOnKey=\"&#9;\"/></Response>",
    );
    let expected = Record::new()
        .recording_status_callback_event([RecordingEvent::InProgress, RecordingEvent::Absent])
        .finish_on_key("\t");
    assert_eq!(response.verbs(), [Verb::Record(expected)]);
}

#[test]
fn tells_empty_play_from_self_closed_play() {
    let response = parse(r#"<Response><Play digits="9"/><Play></Play><Play>a.mp3</Play></Response>"#);
    assert_eq!(
        response.verbs(),
        [
            Verb::Play(Play::tones("9")),
            Verb::Play(Play::new("")),
            Verb::Play(Play::new("a.mp3")),
        ]
    );
}

#[test]
fn reads_every_gather_attribute_and_nested_verb() {
    let xml = r#"<Response><Gather input="speech dtmf" action="/g" method="GET" timeout="0" speechTimeout="auto"
        maxSpeechTime="60" profanityFilter="true" finishOnKey="" numDigits="10" partialResultCallback="https://e.com/p"
        partialResultCallbackMethod="POST" language="es-MX" hints="uno, dos" bargeIn="false" debug="true"
        actionOnEmptyResult="false" speechModel="googlev2_telephony" enhanced="false"><Say>Hola</Say><Play>/m.mp3</Play><Pause length="2"/></Gather><Redirect>/again</Redirect></Response>"#;
    let response = parse(xml);
    let [Verb::Gather(gather), Verb::Redirect(redirect)] = response.verbs() else {
        panic!("{response:?}")
    };
    assert_eq!(gather.input, Some(Input::DtmfSpeech));
    assert_eq!(gather.speech_timeout, Some(SpeechTimeout::Auto));
    assert_eq!(gather.timeout, Some(0));
    assert_eq!(gather.finish_on_key.as_deref(), Some(""));
    assert_eq!(
        gather.speech_model,
        Some(SpeechModel::Other("googlev2_telephony".into()))
    );
    assert_eq!(gather.language.as_ref().map(|l| l.as_str()), Some("es-MX"));
    assert_eq!(gather.barge_in, Some(false));
    assert_eq!(
        gather.verbs,
        [
            GatherVerb::Say(Say::new("Hola")),
            GatherVerb::Play(Play::new("/m.mp3")),
            GatherVerb::Pause(Pause::new().length(2)),
        ]
    );
    assert_eq!(redirect, &Redirect::new("/again"));
    let rendered = response.to_string();
    assert_eq!(parse(&rendered), response);
}
