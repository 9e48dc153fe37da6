//! The storyteller's pages: calm, large, plain-spoken, and complete without JavaScript.

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What the page says for each status: a heading, what it means, and (for endings that are not a story) what to do.
pub struct Words {
    pub heading: String,
    pub detail: &'static str,
    pub hint: Option<&'static str>,
}

/// Words a person uses for each status of the contract in flow.md.
pub fn words(status: &str, number: &str) -> Words {
    let (heading, detail, hint) = match status {
        "calling" => (
            format!("Calling {number}…"),
            "Your phone will ring in a moment. Keep this page open.",
            None,
        ),
        "ringing" => (
            "Your phone is ringing".into(),
            "Answer it: we are calling to record your story.",
            None,
        ),
        "in_progress" => (
            "You're connected".into(),
            "Listen to the short greeting, then tell your story after the beep.",
            None,
        ),
        "recording" => (
            "You're connected: tell your story after the beep".into(),
            "Take your time. When you are finished, press the pound key (#) or simply hang up.",
            None,
        ),
        "processing" => (
            "Saving your story…".into(),
            "Thank you! We are saving your recording. This usually takes a few seconds.",
            None,
        ),
        "complete" => ("Your story is ready".into(), "Here is your recording.", None),
        "busy" => (
            "Your line was busy".into(),
            "We called, but the line was busy.",
            Some("When your phone is free, ask us to call again."),
        ),
        "no_answer" => (
            "We couldn't reach you".into(),
            "Your phone rang, but nobody answered.",
            Some(
                "Some phones silence calls from numbers they don't know. Keep your phone close, and answer calls from unknown numbers for the next few minutes.",
            ),
        ),
        "failed" => (
            "We couldn't connect the call".into(),
            "The call could not be put through to this number.",
            Some("Check that the number is right and that the phone can receive calls, then try again."),
        ),
        "canceled" => (
            "The call was canceled".into(),
            "The call was stopped before it was answered.",
            Some("You can ask us to call again whenever you are ready."),
        ),
        "hung_up" => (
            "The call ended before the recording began".into(),
            "We lost the call before the beep, so nothing was recorded.",
            Some("When you answer, listen to the short greeting and start speaking after the beep."),
        ),
        "no_recording" => (
            "We didn't hear a story".into(),
            "The call connected, but the recording was silent.",
            Some("Speak after the beep, close to the phone. Take your time: pauses are fine."),
        ),
        "machine" => (
            "Your voicemail answered".into(),
            "An answering machine picked up, so we didn't record anything.",
            Some("Please answer the call yourself. We'll call again when you're ready."),
        ),
        _ => (
            "Something went wrong".into(),
            "We could not tell what happened to this call.",
            None,
        ),
    };
    Words { heading, detail, hint }
}

/// The steps of a call, as the recording page shows them.
const STEPS: [(&str, &str); 5] = [
    ("calling", "Calling"),
    ("ringing", "Ringing"),
    ("in_progress", "Connected"),
    ("recording", "Recording"),
    ("processing", "Saving"),
];

/// Whether a status is an ending.
pub fn is_final(status: &str) -> bool {
    !matches!(
        status,
        "calling" | "ringing" | "in_progress" | "recording" | "processing"
    )
}

fn layout(title: &str, private: bool, refresh: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                meta name="description" content="Record a story for your Storyworth book by telling it over the phone.";
                @if private {
                    meta name="robots" content="noindex, nofollow";
                }
                meta name="referrer" content="no-referrer";
                @if refresh {
                    noscript { meta http-equiv="refresh" content="4"; }
                }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site { a.brand href="/" { "Storyworth" } }
                main #main { (body) }
                footer.site { p { "Storyline, by Storyworth" } }
                script src="/static/app.js" defer {}
            }
        }
    }
}

/// The landing page: the form, and how it works.
pub fn landing(value: &str, error: Option<&str>) -> Markup {
    let body = html! {
        div.illustration aria-hidden="true" { (PreEscaped(ILLUSTRATION)) }
        h1 { "Record your voice over the phone and we'll save your story." }
        form.call method="post" action="/" novalidate {
            label for="tel" { "Your phone number" }
            @if let Some(e) = error {
                p.error #tel-error role="alert" { (e) }
            }
            div.row {
                input #tel type="tel" name="tel" autocomplete="tel" inputmode="tel" placeholder="123-456-7890"
                    value=(value) required
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(if error.is_some() { "tel-error tel-help" } else { "tel-help" });
                button type="submit" { "Call me now" }
            }
            p.help #tel-help { "We'll call this number right away. Standard call charges from your phone company may apply." }
        }
        hr;
        section.how aria-labelledby="how" {
            h2 #how { "How it works" }
            ol {
                li { span.num aria-hidden="true" { "01" } p { "Enter your phone number and we will call you to record your story." } }
                li { span.num aria-hidden="true" { "02" } p { "During the call we'll record your story over the phone." } }
                li { span.num aria-hidden="true" { "03" } p { "After the call, an audio clip of your recording is saved to your story." } }
            }
        }
    };
    layout("Record your story by phone · Storyworth", false, false, body)
}

/// What the recording page needs to know.
pub struct RecordingView<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub number: &'a str,
    pub audio: Option<AudioView>,
}

/// The stored recording, once there is one.
pub struct AudioView {
    pub duration_secs: u64,
    pub recorded_at: String,
}

fn mmss(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The recording page: live status while the call goes on, then the player, or what happened and what to do.
pub fn recording(view: &RecordingView<'_>) -> Markup {
    let w = words(view.status, view.number);
    let live = !is_final(view.status);
    let body = html! {
        section.status #status data-id=(view.id) data-status=(view.status) data-number=(view.number) {
            div.live aria-live="polite" aria-atomic="true" {
                h1 #status-heading { (w.heading) }
                p #status-detail { (w.detail) }
            }
            @if live {
                @let at = STEPS.iter().position(|(key, _)| *key == view.status).unwrap_or(0);
                ol.steps aria-label="Progress" {
                    @for (i, (key, label)) in STEPS.iter().enumerate() {
                        @if i == at {
                            li.current data-step=(key) aria-current="step" { (label) }
                        } @else if i < at {
                            li.done data-step=(key) { (label) }
                        } @else {
                            li data-step=(key) { (label) }
                        }
                    }
                }
            }
            @if let (Some(audio), "complete") = (&view.audio, view.status) {
                figure.player {
                    audio controls preload="metadata" src={"/recording/" (view.id) "/audio"} {
                        a href={"/recording/" (view.id) "/audio?download=1"} { "Download your story" }
                    }
                    figcaption {
                        "Recorded " (audio.recorded_at) " · " (mmss(audio.duration_secs)) " long"
                    }
                }
                p { a.button.secondary href={"/recording/" (view.id) "/audio?download=1"} download { "Download the recording" } }
                h2 { "What happens next" }
                p { "Your recording is saved to your story. You can listen to it here at any time, or download it to keep a copy of your own." }
            }
            @if let Some(hint) = w.hint {
                p.hint { (hint) }
                form method="post" action={"/recording/" (view.id) "/retry"} {
                    button type="submit" { "Call me again" }
                }
                p { a href="/" { "Use a different number" } }
            }
        }
    };
    layout(&format!("{} · Storyworth", w.heading), true, live, body)
}

/// A friendly page for a recording that does not exist.
pub fn not_found() -> Markup {
    let body = html! {
        h1 { "We couldn't find that recording" }
        p { "The link may be incomplete. Check that you copied all of it, or start a new recording." }
        p { a.button href="/" { "Record a story" } }
    };
    layout("Not found · Storyworth", true, false, body)
}

/// A page for anything that went wrong on our side.
pub fn server_error() -> Markup {
    let body = html! {
        h1 { "Something went wrong on our side" }
        p { "Nothing you did caused this. Please try again in a minute." }
        p { a.button href="/" { "Back to the start" } }
    };
    layout("Something went wrong · Storyworth", true, false, body)
}

const ILLUSTRATION: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 165 115" width="165" height="115" focusable="false"><rect x="8" y="30" width="90" height="70" rx="10" fill="#E7F1EE"/><path d="M40 48c6 0 9 8 7 12l-4 5c3 7 8 12 15 15l5-4c4-2 12 1 12 7 0 6-6 10-12 9-20-3-34-17-37-37-1-6 3-12 9-12z" fill="#12473A"/><path d="M112 40c8 6 12 15 12 25s-4 19-12 25M124 28c12 9 19 22 19 37s-7 28-19 37" stroke="#07949D" stroke-width="5" fill="none" stroke-linecap="round"/></svg>"##;
