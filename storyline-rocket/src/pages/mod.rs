//! The storyteller's pages: calm, large, plain-spoken, and complete without JavaScript (which only makes the
//! recording page live).

pub(crate) mod assets;
mod recording;
pub(crate) mod waveform;
pub(crate) mod words;

use maud::{DOCTYPE, Markup, PreEscaped, html};

pub(crate) use recording::{AudioView, RecordingView, recording};
pub(crate) use words::words;

pub(crate) use crate::links::Links;

/// How a page is served.
struct Page<'a> {
    title: &'a str,
    /// Kept out of search engines: the recording pages are reached only through their unguessable link.
    private: bool,
    /// Reloads itself every few seconds when JavaScript cannot follow the call.
    refresh: bool,
    /// Needs the script (only the recording page does).
    script: bool,
}

fn layout(links: &Links, page: Page<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) }
                meta name="description" content="Record a story for your Storyworth book by telling it over the phone.";
                @if page.private {
                    meta name="robots" content="noindex, nofollow";
                }
                meta name="referrer" content="same-origin";
                meta name="theme-color" content="#12473A";
                @if page.refresh {
                    noscript { meta http-equiv="refresh" content="4"; }
                }
                link rel="icon" href=(links.path("/static/icon.svg")) type="image/svg+xml";
                @for font in assets::PRELOAD {
                    link rel="preload" href=(links.path(&format!("/static/fonts/{font}"))) as="font" type="font/woff2" crossorigin;
                }
                link rel="stylesheet" href=(links.path(&format!("/static/app.css?v={:x}", assets::CSS_VERSION)));
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site { a.brand href=(links.home()) { "Storyworth" } }
                main #main tabindex="-1" { (body) }
                footer.site { p { "Storyline, by Storyworth" } }
                @if page.script {
                    script src=(links.path(&format!("/static/app.js?v={:x}", assets::JS_VERSION))) defer {}
                }
            }
        }
    }
}

/// The landing page: the form, and how it works. `value` is what the storyteller typed; `error` says what is wrong
/// with it (the page is then answered with an error status and the field is focused, described by the message).
pub(crate) fn landing(links: &Links, value: &str, error: Option<&str>) -> Markup {
    let body = html! {
        div.illustration { (PreEscaped(ILLUSTRATION)) }
        h1 { "Record your voice over the phone and we’ll save your story." }
        form.call method="post" action=(links.home()) novalidate {
            label for="tel" { "Your phone number" }
            @if let Some(e) = error {
                p.error #tel-error role="alert" { span.visually-hidden { "Error: " } (e) }
            }
            div.row {
                input #tel type="tel" name="tel" autocomplete="tel" inputmode="tel" placeholder="123-456-7890"
                    value=(value) required
                    autofocus[error.is_some()]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(if error.is_some() { "tel-error tel-help" } else { "tel-help" });
                button type="submit" { "Call me now" }
            }
            p.help #tel-help { "We’ll call this number right away. Your phone company’s usual charges for incoming calls apply." }
        }
        hr;
        section.how aria-labelledby="how" {
            h2 #how { "How it works" }
            ol {
                li { span.num aria-hidden="true" { "01" } p { "Enter your phone number and we will call you to record your story." } }
                li { span.num aria-hidden="true" { "02" } p { "During the call we’ll record your story over the phone." } }
                li { span.num aria-hidden="true" { "03" } p { "After the call, an audio clip of your recording is saved to your story, where you can listen to it and download it." } }
            }
        }
    };
    let title = if error.is_some() {
        "Error: check your phone number · Storyworth"
    } else {
        "Record your story by phone · Storyworth"
    };
    layout(
        links,
        Page {
            title,
            private: false,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// The whole service's call budget is spent: nothing the storyteller did, and nothing to fix but the time.
pub(crate) fn busy(links: &Links, hourly: bool) -> Markup {
    let when = if hourly { "in an hour" } else { "tomorrow" };
    let body = html! {
        h1 { (if hourly { "We're very busy right now" } else { "We're very busy today" }) }
        p.lead { "So many stories are being recorded that we can't place any more calls " (if hourly { "this hour" } else { "today" }) "." }
        p { "Nothing you did caused this, and we haven't called your number. Please try again " (when) "." }
        p { a.button href=(links.home()) { "Back to the start" } }
    };
    layout(
        links,
        Page {
            title: "We're very busy · Storyworth",
            private: false,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// "Delete this story?": the confirmation step, a plain form.
pub(crate) fn confirm_delete(links: &Links, id: &str) -> Markup {
    let page = links.recording(id);
    let body = html! {
        h1 { "Delete this story?" }
        p.lead { "The recording, and the phone number we called, will be removed from Storyworth for good, and our phone service's copy deleted." }
        p { "This can't be undone. If you'd like to keep a copy, download the recording first." }
        div.actions {
            form method="post" action={(page) "/delete"} {
                button.danger type="submit" { "Yes, delete it" }
            }
            a.button.secondary href=(page) { "No, keep it" }
        }
    };
    layout(
        links,
        Page {
            title: "Delete this story? · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// A story deleted at its storyteller's request (or by the retention setting).
pub(crate) fn deleted(links: &Links) -> Markup {
    let body = html! {
        h1 { "This story was deleted" }
        p.lead { "Its recording and the phone number we called are no longer kept by Storyworth." }
        p { a.button href=(links.home()) { "Record a new story" } }
    };
    layout(
        links,
        Page {
            title: "Deleted · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// Someone other than the browser that asked for the call tried to delete its story.
pub(crate) fn not_yours(links: &Links, id: &str) -> Markup {
    let body = html! {
        h1 { "Only the storyteller can delete this story" }
        p.lead { "A story can be deleted only from the browser that asked for its call. If that was you, open this page there." }
        p { a.button href=(links.recording(id)) { "Back to the story" } }
    };
    layout(
        links,
        Page {
            title: "Not yours to delete · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// A story asked to be deleted while its call goes on or it is being saved.
pub(crate) fn cannot_delete_yet(links: &Links, id: &str) -> Markup {
    let body = html! {
        h1 { "This story can't be deleted yet" }
        p.lead { "The call is still going on, or the story is still being saved. Once it's done, you can delete it from its page." }
        p { a.button href=(links.recording(id)) { "Back to the story" } }
    };
    layout(
        links,
        Page {
            title: "Not yet · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// A friendly page for a recording that does not exist.
pub(crate) fn not_found(links: &Links) -> Markup {
    let body = html! {
        h1 { "We couldn't find that recording" }
        p { "The link may be incomplete. Check that you copied all of it, or start a new recording." }
        p { a.button href=(links.home()) { "Record a story" } }
    };
    layout(
        links,
        Page {
            title: "Not found · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// A page for anything that went wrong on our side.
pub(crate) fn server_error(links: &Links) -> Markup {
    let body = html! {
        h1 { "Something went wrong on our side" }
        p { "Nothing you did caused this. Please try again in a minute." }
        p { a.button href=(links.home()) { "Back to the start" } }
    };
    layout(
        links,
        Page {
            title: "Something went wrong · Storyworth",
            private: true,
            refresh: false,
            script: false,
        },
        body,
    )
}

/// A phone with sound waves; decorative (`aria-hidden`), drawn with attributes only (the CSP forbids inline style).
const ILLUSTRATION: &str = r##"<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 165 115" width="165" height="115" focusable="false"><rect x="8" y="30" width="90" height="70" rx="10" fill="#E7F1EE"/><path d="M40 48c6 0 9 8 7 12l-4 5c3 7 8 12 15 15l5-4c4-2 12 1 12 7 0 6-6 10-12 9-20-3-34-17-37-37-1-6 3-12 9-12z" fill="#12473A"/><path d="M112 40c8 6 12 15 12 25s-4 19-12 25M124 28c12 9 19 22 19 37s-7 28-19 37" stroke="#07949D" stroke-width="5" fill="none" stroke-linecap="round"/></svg>"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_landing_page_has_the_form_and_the_three_steps() {
        let html = landing(&Links::new("/"), "", None).into_string();
        assert!(html.contains(r#"name="tel""#));
        assert!(html.contains(r#"<label for="tel">Your phone number</label>"#));
        for n in ["01", "02", "03"] {
            assert!(html.contains(&format!(">{n}<")));
        }
        assert!(!html.contains("noindex"));
        assert!(!html.contains("autofocus"));
        assert!(!html.contains("<script"), "the landing page needs no script");
    }

    #[test]
    fn a_form_error_is_announced_tied_to_the_field_and_keeps_the_typed_value() {
        let html = landing(&Links::new("/"), "555-12<", Some("That number doesn't look complete.")).into_string();
        assert!(html.contains(r#"role="alert""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(r#"aria-describedby="tel-error tel-help""#));
        assert!(html.contains(r#"value="555-12&lt;""#));
        assert!(html.contains("autofocus"));
        assert!(html.contains("<title>Error:"));
    }

    #[test]
    fn every_link_and_asset_is_under_the_mount_path() {
        let links = Links::new("/stories/");
        let html = landing(&links, "", None).into_string();
        assert!(html.contains(r#"action="/stories""#), "{html}");
        assert!(html.contains(r#"href="/stories/static/icon.svg""#));
        assert!(html.contains(r#"href="/stories/static/app.css?v="#));
        assert!(html.contains(r#"href="/stories/static/fonts/"#));
        let hrefs = html.split("href=\"").skip(1).chain(html.split("src=\"").skip(1));
        for rest in hrefs {
            assert!(
                rest.starts_with("/stories") || rest.starts_with('#'),
                "{}",
                &rest[..40.min(rest.len())]
            );
        }
        let page = not_found(&links).into_string();
        assert!(page.contains(r#"class="button" href="/stories""#), "{page}");
    }

    #[test]
    fn pages_link_only_their_own_origin() {
        let html = landing(&Links::new("/"), "", None)
            .into_string()
            .replace("http://www.w3.org/2000/svg", "");
        assert!(!html.contains("http:") && !html.contains("https:") && !html.contains("//"));
        assert!(html.contains(r#"rel="preload" href="/static/fonts/"#));
    }
}
