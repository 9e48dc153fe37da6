//! TwiML: render the "Full document" of `twiml-examples.md` built from types, and parse it back.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use storyline_twiml::{Gather, Input, Method, Pause, Play, Record, RecordingEvent, Redirect, Response, Say};

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

fn twiml(c: &mut Criterion) {
    let document = full_document();
    let rendered = document.render();
    assert_eq!(rendered, document.to_string());
    assert_eq!(Response::parse(&rendered).as_ref(), Ok(&document));

    // `render()` is the fastest public way to render; `to_string()` (through `Display`) is timed beside it.
    c.bench_function("twiml/build and render full document", |b| {
        b.iter(|| full_document().render())
    });
    c.bench_function("twiml/render full document", |b| {
        b.iter(|| black_box(&document).render())
    });
    c.bench_function("twiml/render full document with to_string", |b| {
        b.iter(|| black_box(&document).to_string())
    });
    c.bench_function("twiml/parse full document", |b| {
        b.iter(|| Response::parse(black_box(&rendered)))
    });
}

criterion_group!(benches, twiml);
criterion_main!(benches);
