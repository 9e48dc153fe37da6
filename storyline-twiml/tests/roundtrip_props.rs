//! Properties over generated documents: render→parse gives the value back, rendering is stable,
//! and the parser never panics, whatever it is fed.

mod common;

use proptest::{option, prelude::*, sample::select};
use storyline_twiml::{
    Gather, GatherVerb, Hangup, Input, Method, Pause, Play, Record, RecordingEvent, RecordingEvents, Redirect,
    Response, Say, SpeechModel, SpeechTimeout, Trim, Verb,
};

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text XML can carry, biased towards markup, references, quotes, line ends and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_filter("xml char", |c| is_xml_char(*c)).prop_map(String::from),
        2 => select(&[
            "&", "<", ">", "\"", "'", "]]>", "&amp;", "&#65;", "<Say>", "</Response>", "\r\n", "\r",
            "\n", "\t", " ", "é", "🎙", "\u{FEFF}", "<!--", "<![CDATA[",
        ][..])
        .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn method() -> impl Strategy<Value = Method> {
    select(&[Method::Get, Method::Post][..])
}

fn seconds() -> impl Strategy<Value = u32> {
    prop_oneof![0..100u32, any::<u32>()]
}

fn events() -> impl Strategy<Value = RecordingEvents> {
    any::<[bool; 3]>().prop_map(|flags| {
        RecordingEvent::ALL
            .into_iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(e, _)| e)
            .collect()
    })
}

fn speech_model() -> impl Strategy<Value = SpeechModel> {
    prop_oneof![
        select(
            &[
                "default",
                "numbers_and_commands",
                "phone_call",
                "experimental_utterances"
            ][..]
        )
        .prop_map(SpeechModel::from),
        text().prop_map(|t| SpeechModel::from(t.as_str())),
    ]
}

fn say() -> impl Strategy<Value = Say> {
    (text(), option::of(text()), option::of(text()), option::of(seconds())).prop_map(
        |(words, voice, language, loop_count)| {
            let mut say = Say::new(words);
            say.voice = voice.map(Into::into);
            say.language = language.map(Into::into);
            say.loop_count = loop_count;
            say
        },
    )
}

fn play() -> impl Strategy<Value = Play> {
    (option::of(text()), option::of(seconds()), option::of(text())).prop_map(|(url, loop_count, digits)| {
        let mut play = Play::default();
        play.url = url.map(Into::into);
        play.loop_count = loop_count;
        play.digits = digits;
        play
    })
}

fn pause() -> impl Strategy<Value = Pause> {
    option::of(seconds()).prop_map(|length| {
        let mut pause = Pause::new();
        pause.length = length;
        pause
    })
}

fn record() -> impl Strategy<Value = Record> {
    (
        (
            option::of(text()),
            option::of(method()),
            option::of(seconds()),
            option::of(text()),
        ),
        (
            option::of(seconds()),
            option::of(any::<bool>()),
            option::of(select(&[Trim::TrimSilence, Trim::DoNotTrim][..])),
        ),
        (
            option::of(text()),
            option::of(method()),
            option::of(events()),
            option::of(any::<bool>()),
            option::of(text()),
        ),
    )
        .prop_map(
            |(
                (action, method, timeout, keys),
                (max, beep, trim),
                (status, status_method, events, transcribe, transcribe_cb),
            )| {
                let mut record = Record::new();
                record.action = action.map(Into::into);
                record.method = method;
                record.timeout = timeout;
                record.finish_on_key = keys;
                record.max_length = max;
                record.play_beep = beep;
                record.trim = trim;
                record.recording_status_callback = status.map(Into::into);
                record.recording_status_callback_method = status_method;
                record.recording_status_callback_event = events;
                record.transcribe = transcribe;
                record.transcribe_callback = transcribe_cb.map(Into::into);
                record
            },
        )
}

fn gather() -> impl Strategy<Value = Gather> {
    let nested = prop_oneof![
        say().prop_map(GatherVerb::Say),
        play().prop_map(GatherVerb::Play),
        pause().prop_map(GatherVerb::Pause),
    ];
    let input = select(&[Input::Dtmf, Input::Speech, Input::DtmfSpeech][..]);
    let speech_timeout = prop_oneof![Just(SpeechTimeout::Auto), seconds().prop_map(SpeechTimeout::Seconds)];
    (
        prop::collection::vec(nested, 0..4),
        (
            option::of(input),
            option::of(text()),
            option::of(method()),
            option::of(seconds()),
            option::of(speech_timeout),
        ),
        (
            option::of(seconds()),
            option::of(any::<bool>()),
            option::of(text()),
            option::of(seconds()),
            option::of(text()),
        ),
        (
            option::of(method()),
            option::of(text()),
            option::of(text()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
        ),
        (
            option::of(any::<bool>()),
            option::of(speech_model()),
            option::of(any::<bool>()),
        ),
    )
        .prop_map(|(verbs, a, b, c, d)| {
            let mut gather = Gather::new();
            gather.verbs = verbs;
            (
                gather.input,
                gather.action,
                gather.method,
                gather.timeout,
                gather.speech_timeout,
            ) = (a.0, a.1.map(Into::into), a.2, a.3, a.4);
            (
                gather.max_speech_time,
                gather.profanity_filter,
                gather.finish_on_key,
                gather.num_digits,
            ) = (b.0, b.1, b.2, b.3);
            gather.partial_result_callback = b.4.map(Into::into);
            (
                gather.partial_result_callback_method,
                gather.language,
                gather.hints,
                gather.barge_in,
                gather.debug,
            ) = (c.0, c.1.map(Into::into), c.2, c.3, c.4);
            (gather.action_on_empty_result, gather.speech_model, gather.enhanced) = d;
            gather
        })
}

fn verb() -> impl Strategy<Value = Verb> {
    prop_oneof![
        say().prop_map(Verb::Say),
        play().prop_map(Verb::Play),
        pause().prop_map(Verb::Pause),
        record().prop_map(Verb::Record),
        gather().prop_map(Verb::Gather),
        (text(), option::of(method())).prop_map(|(url, method)| {
            let mut redirect = Redirect::new(url);
            redirect.method = method;
            Verb::Redirect(redirect)
        }),
        Just(Verb::Hangup(Hangup::new())),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop::collection::vec(verb(), 0..6).prop_map(Response::from)
}

/// Markup-shaped noise: fragments of TwiML glued together at random.
fn xmlish() -> impl Strategy<Value = String> {
    let token = select(
        &[
            "<",
            ">",
            "/>",
            "</",
            "<?xml version=\"1.0\"?>",
            "<!DOCTYPE Response>",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "Response",
            "Say",
            "Play",
            "Pause",
            "Record",
            "Gather",
            "Redirect",
            "Hangup",
            " ",
            "\n",
            "=",
            "\"",
            "'",
            "&",
            ";",
            "#",
            "x",
            "amp",
            "#x1F600",
            "length",
            "loop",
            "1",
            "-",
            "input",
            "dtmf speech",
            "é",
            "\u{0}",
        ][..],
    );
    prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

/// Whatever the parser accepts, it renders to a document it parses back to the same value.
fn check_accepted_input_round_trips(input: &str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = Response::parse(input) {
        let rendered = parsed.to_string();
        prop_assert_eq!(Response::parse(&rendered), Ok(parsed), "rendered: {}", rendered);
    }
    Ok(())
}

proptest! {
    #[test]
    fn render_then_parse_gives_the_same_document(response in response()) {
        let rendered = response.to_string();
        prop_assert_eq!(Response::parse(&rendered), Ok(response), "rendered: {}", rendered);
    }

    #[test]
    fn rendering_a_parsed_rendering_is_identical(response in response()) {
        let rendered = response.to_string();
        let again = Response::parse(&rendered).unwrap().to_string();
        prop_assert_eq!(again, rendered);
    }

    #[test]
    fn rendered_documents_are_well_formed_xml_with_the_text_intact(words in text()) {
        let rendered = Response::new().say(Say::new(words.clone()).voice(words.as_str())).to_string();
        let root = common::tree(&rendered);
        prop_assert_eq!(root.name.as_str(), "Response");
        let common::Content::Element(say) = &root.content[0] else { panic!("{rendered}") };
        prop_assert_eq!(say.attributes.get("voice"), Some(&words));
        let spoken = match say.content.as_slice() {
            [] => String::new(),
            [common::Content::Text(spoken)] => spoken.clone(),
            other => panic!("{other:?}"),
        };
        prop_assert_eq!(spoken, words);
    }

    #[test]
    fn text_xml_cannot_carry_still_renders_stably(words in any::<String>()) {
        let rendered = Response::new().say(Say::new(words)).to_string();
        let parsed = Response::parse(&rendered).unwrap();
        prop_assert_eq!(parsed.to_string(), rendered);
    }

    #[test]
    fn parser_survives_arbitrary_strings(input in any::<String>()) {
        check_accepted_input_round_trips(&input)?;
    }

    #[test]
    fn parser_survives_markup_shaped_noise(input in xmlish()) {
        check_accepted_input_round_trips(&input)?;
    }

    #[test]
    fn parser_survives_mutated_documents(
        response in response(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4u8, any::<char>()), 1..6),
    ) {
        let mut chars: Vec<char> = response.to_string().chars().collect();
        for (index, edit, c) in edits {
            let at = index.index(chars.len() + 1);
            match edit {
                0 if at < chars.len() => { chars.remove(at); }
                1 => chars.insert(at, c),
                2 => chars.insert(at, *select_markup(at)),
                _ => chars.truncate(at),
            }
        }
        let input: String = chars.into_iter().collect();
        check_accepted_input_round_trips(&input)?;
    }
}

fn select_markup(seed: usize) -> &'static char {
    const MARKUP: [char; 8] = ['<', '>', '/', '"', '&', '=', ';', ' '];
    &MARKUP[seed % MARKUP.len()]
}
