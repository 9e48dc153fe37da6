//! The documents in `twiml-examples.md`, as twilio-python 9.13 and twilio-node 6.2 write them:
//! built from types they render to the same structure, and they parse to those same values.

mod common;

use common::tree;
use storyline_twiml::{Gather, Input, Method, Pause, Play, Record, RecordingEvent, Redirect, Response, Say, Trim};

const PYTHON_FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Hello &amp; welcome &lt;caller&gt;</Say><Play loop="2">https://example.com/beep.mp3</Play><Pause length="1" /><Record action="https://example.com/rec-done" maxLength="30" recordingStatusCallback="https://example.com/rec-status" recordingStatusCallbackEvent="completed absent" /><Gather action="/gather" input="dtmf speech" numDigits="1" timeout="5"><Say>Press 1</Say></Gather><Redirect method="POST">https://example.com/next?a=1&amp;b=2</Redirect><Hangup /></Response>"#;

/// The same document in twilio-node's style: insertion-ordered attributes, no space before `/>`.
const NODE_FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna" language="en-US">Hello &amp; welcome &lt;caller&gt;</Say><Play loop="2">https://example.com/beep.mp3</Play><Pause length="1"/><Record action="https://example.com/rec-done" maxLength="30" recordingStatusCallback="https://example.com/rec-status" recordingStatusCallbackEvent="completed absent"/><Gather input="dtmf speech" action="/gather" numDigits="1" timeout="5"><Say>Press 1</Say></Gather><Redirect method="POST">https://example.com/next?a=1&amp;b=2</Redirect><Hangup/></Response>"#;

const PYTHON_RECORD_DEFAULTS: &str = r##"<?xml version="1.0" encoding="UTF-8"?><Response><Record finishOnKey="#" playBeep="true" timeout="5" transcribe="false" trim="trim-silence" /></Response>"##;

const PYTHON_EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response />"#;

fn full_document() -> Response {
    Response::new()
        .say(
            Say::new("Hello & welcome <caller>")
                .voice("Polly.Joanna")
                .language("en-US"),
        )
        .play(Play::new("https://example.com/beep.mp3").loop_count(2))
        .pause(Pause::new().length(1))
        .record(
            Record::new()
                .action("https://example.com/rec-done")
                .max_length(30)
                .recording_status_callback("https://example.com/rec-status")
                .recording_status_callback_event([RecordingEvent::Completed, RecordingEvent::Absent]),
        )
        .gather(
            Gather::new()
                .action("/gather")
                .input(Input::DtmfSpeech)
                .num_digits(1)
                .timeout(5)
                .say(Say::new("Press 1")),
        )
        .redirect(Redirect::new("https://example.com/next?a=1&b=2").method(Method::Post))
        .hangup()
}

fn record_defaults() -> Response {
    Response::new().record(
        Record::new()
            .finish_on_key("#")
            .play_beep(true)
            .timeout(5)
            .transcribe(false)
            .trim(Trim::TrimSilence),
    )
}

#[test]
fn full_document_renders_like_the_official_libraries() {
    let rendered = full_document().to_string();
    assert_eq!(tree(&rendered), tree(PYTHON_FULL));
    assert_eq!(tree(&rendered), tree(NODE_FULL));
}

#[test]
fn full_document_starts_with_the_declaration_and_response() {
    let rendered = full_document().to_string();
    assert!(rendered.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say "#));
    assert!(rendered.ends_with("<Hangup/></Response>"));
}

#[test]
fn full_document_from_either_library_parses_to_the_typed_value() {
    assert_eq!(Response::parse(PYTHON_FULL).unwrap(), full_document());
    assert_eq!(Response::parse(NODE_FULL).unwrap(), full_document());
}

#[test]
fn record_defaults_render_and_parse_like_python() {
    assert_eq!(tree(&record_defaults().to_string()), tree(PYTHON_RECORD_DEFAULTS));
    assert_eq!(Response::parse(PYTHON_RECORD_DEFAULTS).unwrap(), record_defaults());
}

#[test]
fn empty_response_renders_self_closed_and_parses_back() {
    let rendered = Response::new().to_string();
    assert_eq!(rendered, r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#);
    assert_eq!(tree(&rendered), tree(PYTHON_EMPTY));
    assert_eq!(Response::parse(PYTHON_EMPTY).unwrap(), Response::new());
}

#[test]
fn parsed_official_documents_render_to_the_same_structure() {
    for document in [PYTHON_FULL, NODE_FULL, PYTHON_RECORD_DEFAULTS, PYTHON_EMPTY] {
        let rendered = Response::parse(document).unwrap().to_string();
        assert_eq!(tree(&rendered), tree(document), "{document}");
    }
}

#[test]
fn the_python_list_trap_is_refused() {
    let trap = r#"<Response><Record recordingStatusCallbackEvent="['in-progress', 'completed']" /></Response>"#;
    let error = Response::parse(trap).unwrap_err();
    assert!(error.to_string().contains("recordingStatusCallbackEvent"), "{error}");
    let right = r#"<Response><Record recordingStatusCallbackEvent="in-progress completed" /></Response>"#;
    let events = Response::parse(right).unwrap().to_string();
    assert!(
        events.contains(r#"recordingStatusCallbackEvent="in-progress completed""#),
        "{events}"
    );
}
