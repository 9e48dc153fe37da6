//! The storyteller's pages in a real browser (headless Chromium): the form, the call followed live without a reload,
//! the player, every ending, the page without JavaScript, and the keyboard.

use fantoccini::Locator;
use serde_json::json;
use storyline_testkit::browser::{Browser, Site, browser_available};
use storyline_testkit::words;

/// Records every heading the live region shows, and marks the window: a reload would lose both.
const WATCH: &str = "
    window.__storyline = 'same page';
    window.__seen = [document.getElementById('status-heading').textContent];
    new MutationObserver(function () {
        var h = document.getElementById('status-heading').textContent;
        if (window.__seen[window.__seen.length - 1] !== h) window.__seen.push(h);
    }).observe(document.getElementById('live'), { subtree: true, childList: true, characterData: true });
    return true;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_is_followed_live_without_a_reload_then_plays() {
    if !browser_available("a_story_is_followed_live_without_a_reload_then_plays") {
        return;
    }
    // Slow enough that the ringing (4 s of call time) outlasts the moment the test starts watching, even on a busy
    // machine.
    let site = Site::start_with("/", 4.0).await;
    let b = Browser::start(true).await;
    b.call(&site, "201-555-0100").await;
    b.js(WATCH).await;
    assert_eq!(
        b.js("return document.getElementById('live').getAttribute('aria-live')")
            .await,
        json!("polite")
    );

    b.until(
        "the story to be ready",
        "return document.getElementById('status').getAttribute('data-status') === 'complete'",
    )
    .await;
    assert_eq!(
        b.js("return window.__storyline").await,
        json!("same page"),
        "the page was reloaded"
    );
    assert_eq!(
        b.js("return performance.getEntriesByType('navigation').length").await,
        json!(1)
    );
    let seen: Vec<String> = serde_json::from_value(b.js("return window.__seen").await).unwrap();
    let number = "201-555-0100";
    for status in ["ringing", "processing", "complete"] {
        let heading = words(status, number).heading;
        assert!(seen.contains(&heading), "never showed {heading:?}; saw {seen:?}");
    }
    assert!(
        seen.contains(&words("in_progress", number).heading) || seen.contains(&words("recording", number).heading),
        "never showed the call connected; saw {seen:?}"
    );
    assert_eq!(b.client.title().await.unwrap(), "Your story is ready · Storyworth");

    // The player: its length known, playing, and seekable.
    let duration = b
        .until(
            "the audio's length",
            "var a = document.querySelector('audio'); return a.readyState >= 1 && a.duration",
        )
        .await
        .as_f64()
        .unwrap();
    assert!(duration > 10.0, "the sample stories last 20 to 40 seconds: {duration}");
    b.js("document.querySelector('audio').play(); return true").await;
    b.until(
        "playback to advance",
        "return document.querySelector('audio').currentTime > 0.3",
    )
    .await;
    let seekable = b
        .js("var a = document.querySelector('audio'); return a.seekable.length && a.seekable.end(0)")
        .await;
    assert!(
        seekable.as_f64().unwrap_or(0.0) > duration - 1.0,
        "not seekable to the end: {seekable}"
    );
    b.js("var a = document.querySelector('audio'); a.currentTime = a.duration / 2; return true")
        .await;
    b.until(
        "the seek to land mid-story",
        "var a = document.querySelector('audio'); return !a.seeking && a.currentTime >= a.duration / 2 - 1",
    )
    .await;

    // What is shown around it: the waveform and its words, the date, the download, what happens next.
    assert_eq!(
        b.js("return document.querySelectorAll('svg.wave rect').length").await,
        json!(72)
    );
    let alt = b
        .js("return document.querySelector('svg.wave title').textContent")
        .await;
    assert!(alt.as_str().unwrap().starts_with("Waveform of your recording"), "{alt}");
    let text = b.js("return document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("Recorded "), "{text}");
    // innerText is as shown: the heading is set in capitals.
    assert!(text.to_lowercase().contains("what happens next"), "{text}");
    let download = b
        .client
        .find(Locator::Css("a[download]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(download.ends_with("/audio?download=1"), "{download}");

    // Nothing was asked of any other origin.
    let foreign = b
        .js(
            "return performance.getEntriesByType('resource').map(function (r) { return r.name; })
                .filter(function (n) { return n.indexOf(location.origin) !== 0; })",
        )
        .await;
    assert_eq!(foreign, json!([]));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounted_in_a_host_the_page_follows_the_call_live_and_plays() {
    if !browser_available("mounted_in_a_host_the_page_follows_the_call_live_and_plays") {
        return;
    }
    let site = Site::start_at("/stories").await;
    let b = Browser::start(true).await;
    b.call(&site, "201-555-0100").await;
    let url = b.client.current_url().await.expect("a URL").to_string();
    assert!(url.starts_with(&format!("{}/stories/recording/", site.base)), "{url}");
    b.js(WATCH).await;
    b.until(
        "the story to be ready",
        "return document.getElementById('status').getAttribute('data-status') === 'complete'",
    )
    .await;
    assert_eq!(
        b.js("return window.__storyline").await,
        json!("same page"),
        "followed live, not reloaded"
    );
    let seen: Vec<String> = serde_json::from_value(b.js("return window.__seen").await).unwrap();
    assert!(
        seen.contains(&words("processing", "201-555-0100").heading),
        "saw {seen:?}"
    );
    // The fonts and the player come from under the mount path.
    let fonts = b
        .until(
            "the heading's font",
            "var f = Array.from(document.fonts).filter(function (f) { return f.family.indexOf('Fraunces') >= 0; }); \
             return f.length > 0 && f.every(function (f) { return f.status === 'loaded'; })",
        )
        .await;
    assert_eq!(fonts, json!(true));
    let duration = b
        .until(
            "the audio's length",
            "var a = document.querySelector('audio'); return a.readyState >= 1 && a.duration",
        )
        .await;
    assert!(duration.as_f64().is_some_and(|d| d > 10.0), "{duration}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ending_says_what_happened_and_offers_another_call() {
    if !browser_available("every_ending_says_what_happened_and_offers_another_call") {
        return;
    }
    let site = Site::start().await;
    let b = Browser::start(true).await;
    let endings = [
        ("201-555-0101", "busy"),
        ("201-555-0102", "no_answer"),
        ("201-555-0103", "failed"),
        ("201-555-0104", "hung_up"),
        ("201-555-0105", "no_recording"),
        ("201-555-0106", "machine"),
    ];
    for (number, ending) in endings {
        b.call(&site, number).await;
        b.until(
            ending,
            &format!("return document.getElementById('status').getAttribute('data-status') === '{ending}'"),
        )
        .await;
        let w = words(ending, number);
        let heading = b
            .js("return document.getElementById('status-heading').textContent")
            .await;
        assert_eq!(heading, json!(w.heading), "{number}");
        let text = b.js("return document.body.innerText").await;
        let text = text.as_str().unwrap();
        assert!(text.contains(w.hint.unwrap()), "{number}: no next step in {text}");
        assert!(text.contains(&format!("We called {number}.")), "{number}: {text}");
        let retry = b.client.find(Locator::Css("#status-more form button")).await.unwrap();
        assert_eq!(retry.text().await.unwrap().to_lowercase(), "call me again");
        let other = b.client.find(Locator::Css("#status-more .actions a")).await.unwrap();
        assert_eq!(other.text().await.unwrap().to_lowercase(), "use a different number");
        assert_eq!(other.attr("href").await.unwrap().as_deref(), Some("/"));
        let small = b
            .js(
                "return Array.from(document.querySelectorAll('main a, main button')).filter(function (e) {
                    return e.getBoundingClientRect().height < 44;
                 }).map(function (e) { return e.outerHTML.slice(0, 80); })",
            )
            .await;
        assert_eq!(small, json!([]), "{number}: targets under 44 px");
    }

    // "Call me again" places a new call to the same number.
    let before = b.client.current_url().await.unwrap();
    b.client
        .find(Locator::Css("#status-more form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until(
        "a new recording page",
        &format!("return location.href !== '{before}' && !!document.getElementById('status')"),
    )
    .await;
    assert!(b.client.current_url().await.unwrap().path().starts_with("/recording/"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_number_is_announced_focused_and_kept() {
    if !browser_available("a_wrong_number_is_announced_focused_and_kept") {
        return;
    }
    let site = Site::start().await;
    let b = Browser::start(true).await;
    b.client.goto(&site.url("/")).await.unwrap();
    b.client
        .find(Locator::Css("#tel"))
        .await
        .unwrap()
        .send_keys("555-12")
        .await
        .unwrap();
    b.client
        .find(Locator::Css("form.call button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until("the error", "return !!document.getElementById('tel-error')")
        .await;
    assert_eq!(b.js("return document.activeElement.id").await, json!("tel"));
    assert_eq!(b.js("return document.activeElement.value").await, json!("555-12"));
    assert_eq!(
        b.js("return document.getElementById('tel-error').getAttribute('role')")
            .await,
        json!("alert")
    );
    assert_eq!(
        b.js("return document.getElementById('tel').getAttribute('aria-describedby')")
            .await,
        json!("tel-error tel-help")
    );
    assert!(b.client.title().await.unwrap().starts_with("Error:"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_page_refreshes_itself_to_the_ending() {
    if !browser_available("without_javascript_the_page_refreshes_itself_to_the_ending") {
        return;
    }
    let site = Site::start().await;
    let b = Browser::start(false).await;
    b.call(&site, "201-555-0100").await;
    assert!(
        !storyline_testkit::is_final(&b.status().await),
        "the story was ready before the first page"
    );
    b.until(
        "the page to refresh itself to the story",
        "return document.getElementById('status').getAttribute('data-status') === 'complete'",
    )
    .await;
    assert!(
        b.js("return !!document.querySelector('audio[controls]')")
            .await
            .as_bool()
            .unwrap()
    );
    let heading = b
        .js("return document.getElementById('status-heading').textContent")
        .await;
    assert_eq!(heading, json!(words("complete", "201-555-0100").heading));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_reaches_a_visible_skip_link_first_and_big_targets() {
    if !browser_available("the_keyboard_reaches_a_visible_skip_link_first_and_big_targets") {
        return;
    }
    let site = Site::start().await;
    let b = Browser::start(true).await;
    b.client.goto(&site.url("/")).await.unwrap();
    b.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{e004}")
        .await
        .unwrap();
    assert_eq!(b.js("return document.activeElement.className").await, json!("skip"));
    let top = b.js("return document.activeElement.getBoundingClientRect().top").await;
    assert!(
        top.as_f64().unwrap() >= 0.0,
        "the focused skip link is off screen: {top}"
    );
    let outline = b
        .js("return getComputedStyle(document.activeElement).outlineStyle")
        .await;
    assert_eq!(outline, json!("solid"));
    // Every control a finger presses is at least 44 by 44 pixels, on a phone's width too.
    b.client.set_window_size(375, 800).await.unwrap();
    let small = b
        .js(
            "return Array.from(document.querySelectorAll('a, button, input')).filter(function (e) {
                var r = e.getBoundingClientRect();
                return !e.classList.contains('skip') && (r.height < 44 || r.width < 44);
             }).map(function (e) { return e.outerHTML.slice(0, 80); })",
        )
        .await;
    assert_eq!(small, json!([]));
    let overflow = b
        .js("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, json!(false), "the page scrolls sideways at 375 px");
    // 1280 px at 400 % zoom is 320 CSS pixels: the page must still reflow into one column.
    b.client.set_window_size(320, 800).await.unwrap();
    let width = b.js("return window.innerWidth").await;
    assert!(width.as_u64().unwrap() <= 330, "the window did not narrow: {width}");
    let overflow = b
        .js("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, json!(false), "the page scrolls sideways at 320 px");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_of_a_story_is_written_in_the_readers_own_time_zone() {
    if !browser_available("the_time_of_a_story_is_written_in_the_readers_own_time_zone") {
        return;
    }
    let site = Site::start().await;
    // A reader in Tokyo, far from the server's configured New York.
    let b = Browser::start_in_zone(true, "Asia/Tokyo").await;
    b.call(&site, "201-555-0100").await;
    b.until(
        "the story to be ready",
        "return document.getElementById('status').getAttribute('data-status') === 'complete'",
    )
    .await;
    let iso = b
        .js("return document.querySelector('time[data-local]').getAttribute('datetime')")
        .await;
    let shown = b
        .js("return document.querySelector('time[data-local]').textContent")
        .await;
    let at: jiff::Timestamp = iso.as_str().expect("a datetime").parse().expect("RFC 3339");
    let tokyo = at.to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").expect("a zone"));
    let expected = tokyo.strftime("%A, %B %-d at %-I:%M %p").to_string();
    assert_eq!(shown, json!(expected), "the reader's own time, as people write it");

    // Without JavaScript, the server's configured zone, named.
    let plain = Browser::start_in_zone(false, "Asia/Tokyo").await;
    plain
        .client
        .goto(b.client.current_url().await.expect("a url").as_str())
        .await
        .expect("the page");
    let text = plain
        .client
        .find(fantoccini::Locator::Css("time[data-local]"))
        .await
        .expect("a time")
        .text()
        .await
        .expect("text");
    let ny = at.to_zoned(jiff::tz::TimeZone::get("America/New_York").expect("a zone"));
    assert_eq!(text, ny.strftime("%A, %B %-d at %-I:%M %p %Z").to_string());
    b.close().await;
    plain.close().await;
}
