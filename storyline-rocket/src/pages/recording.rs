//! The recording page: the call followed live, then the story's player, or what happened and what to do next.

use maud::{Markup, html};

use storyline_core::recording::Status;

use super::waveform::Waveform;
use super::words::STEPS;
use super::{Links, Page, layout};

/// What the recording page needs to know.
pub(crate) struct RecordingView<'a> {
    /// The recording's id, as in its URL.
    pub id: &'a str,
    /// Its status.
    pub status: Status,
    /// The number called, as the storyteller typed it.
    pub number: &'a str,
    /// The stored recording, once there is one.
    pub audio: Option<AudioView>,
    /// Whether "Call me again" is offered (an ending without a story, recent enough).
    pub call_again: bool,
    /// Whether "Delete this story" is offered (the call has ended, and this browser asked for it).
    pub can_delete: bool,
    /// Saving the story is delayed (failed a few times, being retried): the page is not live.
    pub delayed: bool,
    /// Twilio answered the call but could not record it.
    pub recording_failed: bool,
}

/// The stored recording, once there is one.
pub(crate) struct AudioView {
    /// Its length, in whole seconds.
    pub duration_secs: u64,
    /// When it was recorded, in words, in the configured time zone.
    pub recorded_at: String,
    /// The same moment in RFC 3339, which the page's script writes in the browser's own time.
    pub recorded_iso: String,
}

fn mmss(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// A duration as a person says it: "1 minute 5 seconds".
fn spoken(secs: u64) -> String {
    let unit = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match (secs / 60, secs % 60) {
        (0, s) => unit(s, "second"),
        (m, 0) => unit(m, "minute"),
        (m, s) => format!("{} {}", unit(m, "minute"), unit(s, "second")),
    }
}

/// The recording page: live status while the call goes on, then the player, or what happened and what to do.
/// `waveform` is the stored recording's shape, drawn above the player when there is one.
pub(crate) fn recording(links: &Links, view: &RecordingView<'_>, waveform: Option<&Waveform>) -> Markup {
    let w = super::words::for_page(view.status, view.number, view.delayed, view.recording_failed);
    let live = !view.status.is_final() && !view.delayed;
    let page_url = links.recording(view.id);
    let audio_url = links.audio(view.id);
    let download_url = format!("{audio_url}?download=1");
    // The player shows whole seconds cut down: say the same length (the stored length is rounded).
    let length = waveform.map_or_else(
        || view.audio.as_ref().map_or(0, |a| a.duration_secs),
        |w| w.duration().as_secs(),
    );
    let body = html! {
        section.status #status data-id=(view.id) data-page=(page_url) data-status=(view.status.as_str())
            data-delayed=[view.delayed.then_some("true")] aria-labelledby="status-heading" {
            div.live #live aria-live="polite" aria-atomic="true" {
                h1 #status-heading tabindex="-1" { (w.heading) }
                p.lead #status-detail { (w.detail) }
            }
            div #status-more {
                @if view.delayed {
                    p { "We'll keep trying for as long as it takes. If it still isn't ready tomorrow, write to us and we'll look into it." }
                    p { a href=(links.home()) { "Record another story" } }
                }
                @if live {
                    @let at = STEPS.iter().position(|(key, _)| *key == view.status.as_str()).unwrap_or(0);
                    ol.steps aria-label="Progress of the call" {
                        @for (i, (key, label)) in STEPS.iter().enumerate() {
                            @if i == at {
                                li.current data-step=(key) aria-current="step" { (label) }
                            } @else if i < at {
                                li.done data-step=(key) { (label) span.visually-hidden { " (done)" } }
                            } @else {
                                li data-step=(key) { (label) }
                            }
                        }
                    }
                    p.help { "Keep this page open: it follows the call by itself." }
                }
                @if let (Some(audio), Status::Complete) = (&view.audio, view.status) {
                    figure.player {
                        @if let Some(wave) = waveform {
                            (drawing(wave, length))
                        }
                        audio #player controls preload="none" src=(audio_url) {
                            a href=(download_url) { "Download your story" }
                        }
                        figcaption {
                            "Recorded " time datetime=(audio.recorded_iso) data-local { (audio.recorded_at) } ". "
                            (mmss(length)) " long (" (spoken(length)) ")."
                        }
                    }
                    p { a.button.secondary href=(download_url) download { "Download the recording" } }
                    h2 { "What happens next" }
                    p { "Your recording is saved to your story. Keep this page's link to listen again at any time, or download the file to keep a copy of your own." }
                    p { a href=(links.home()) { "Record another story" } }
                } @else if view.status == Status::Complete {
                    p.hint { "Your story is saved, but we can't play it right now. Please come back to this page in a few minutes." }
                }
                @if let Some(hint) = w.hint {
                    @if view.call_again {
                        p.hint { (hint) }
                        p { "We called " strong { (view.number) } "." }
                        div.actions {
                            form method="post" action={(page_url) "/retry"} {
                                button type="submit" { "Call me again" }
                            }
                            a.button.secondary href=(links.home()) { "Use a different number" }
                        }
                    } @else {
                        p.hint { "This call was more than a day ago. Whenever you're ready, we can call you for a new story." }
                        p { a.button href=(links.home()) { "Record a story" } }
                    }
                }
                @if view.can_delete {
                    p.delete {
                        a href={(page_url) "/delete"} {
                            (if view.status == Status::Complete { "Delete this story" } else { "Delete this call and the number we called" })
                        }
                    }
                }
            }
        }
    };
    let title = format!("{} · Storyworth", w.heading);
    layout(
        links,
        Page {
            title: &title,
            private: true,
            refresh: live,
            script: true,
        },
        body,
    )
}

/// The waveform: one bar per stretch of the recording, as plain SVG (the CSP allows no inline style or script).
fn drawing(wave: &Waveform, duration_secs: u64) -> Markup {
    const HEIGHT: f32 = 48.0;
    let peaks = wave.peaks();
    let alt = format!(
        "Waveform of your recording, {} long. {}",
        spoken(duration_secs),
        wave.describe()
    );
    html! {
        svg.wave xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (peaks.len() * 4) " " (HEIGHT)}
            preserveAspectRatio="none" role="img" aria-labelledby="wave-title" focusable="false" {
            title #wave-title { (alt) }
            @for (i, p) in peaks.iter().enumerate() {
                @let h = (p * (HEIGHT - 4.0)).max(2.0);
                rect x=(i * 4) y=(format!("{:.1}", (HEIGHT - h) / 2.0)) width="3" height=(format!("{h:.1}")) rx="1" {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(status: &str, audio: bool) -> String {
        let status: Status = status.parse().unwrap();
        recording(
            &Links::new("/"),
            &RecordingView {
                id: "abc",
                status,
                number: "917-555-2368",
                audio: audio.then(|| AudioView {
                    duration_secs: 65,
                    recorded_at: "Tuesday, November 24 at 9:03 AM EST".into(),
                    recorded_iso: "2026-11-24T14:03:00Z".into(),
                }),
                call_again: true,
                can_delete: true,
                delayed: false,
                recording_failed: false,
            },
            None,
        )
        .into_string()
    }

    #[test]
    fn a_call_in_progress_announces_its_status_and_refreshes_without_javascript() {
        let html = page("ringing", false);
        assert!(html.contains(r#"aria-live="polite""#));
        assert!(html.contains("Your phone is ringing"));
        assert!(html.contains(r#"http-equiv="refresh""#));
        assert!(html.contains(r#"aria-current="step""#));
        assert!(html.contains("noindex"));
    }

    #[test]
    fn an_ending_explains_and_offers_a_new_call_and_another_number() {
        let html = page("busy", false);
        assert!(html.contains("Your line was busy"));
        assert!(html.contains(r#"action="/recording/abc/retry""#));
        assert!(html.contains("Call me again"));
        assert!(html.contains("Use a different number"));
        assert!(html.contains("917-555-2368"));
        assert!(!html.contains("http-equiv"));
    }

    #[test]
    fn the_live_page_follows_its_own_address_wherever_storyline_is_mounted() {
        let html = recording(
            &Links::new("/stories"),
            &RecordingView {
                id: "abc",
                status: Status::Ringing,
                number: "917-555-2368",
                audio: None,
                call_again: false,
                can_delete: false,
                delayed: false,
                recording_failed: false,
            },
            None,
        )
        .into_string();
        assert!(html.contains(r#"data-page="/stories/recording/abc""#), "{html}");
        assert!(html.contains(r#"src="/stories/static/app.js?v="#));
    }

    #[test]
    fn a_finished_story_has_its_player_length_date_and_download() {
        let html = page("complete", true);
        assert!(html.contains(r#"src="/recording/abc/audio""#));
        assert!(html.contains("1:05 long (1 minute 5 seconds)"));
        assert!(
            html.contains(
                r#"<time datetime="2026-11-24T14:03:00Z" data-local>Tuesday, November 24 at 9:03 AM EST</time>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"href="/recording/abc/audio?download=1" download"#));
        assert!(html.contains("What happens next"));
        assert!(!html.contains("Call me again"));
    }

    #[test]
    fn the_waveform_is_drawn_with_a_text_alternative() {
        let wave = Waveform::from_reader(
            hound::WavReader::new(std::io::Cursor::new(
                storyline_sandbox::media::SAMPLES[0].wav_file().to_vec(),
            ))
            .unwrap(),
            crate::pages::waveform::BARS,
        )
        .unwrap();
        let html = drawing(&wave, 65).into_string();
        // SVG in HTML has no void elements: each bar must be closed, or the next is drawn inside it.
        assert_eq!(html.matches("<rect").count(), crate::pages::waveform::BARS);
        assert_eq!(html.matches("</rect>").count(), crate::pages::waveform::BARS);
        assert!(html.contains(r#"role="img""#));
        assert!(html.contains("<title id=\"wave-title\">Waveform of your recording, 1 minute 5 seconds long. "));
        assert!(!html.contains("style"));
    }

    #[test]
    fn durations_are_spoken_as_people_say_them() {
        assert_eq!(spoken(1), "1 second");
        assert_eq!(spoken(60), "1 minute");
        assert_eq!(spoken(125), "2 minutes 5 seconds");
    }
}
