//! The sandbox phone in a real browser: Chromium's fake microphone plays a speech file, the phone answers the
//! application's call and records it, and the story the application stores is that speech, not silence or beeps.

use std::io::Cursor;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use storyline_testkit::browser::{Browser, Site, browser_available};

/// The speech the fake microphone says, on a loop.
const SPEECH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../storyline-sandbox/assets/story-2.wav");

/// 20 ms at 8 kHz: an envelope frame.
const FRAME: usize = 160;

fn samples(wav: &[u8]) -> (u32, Vec<i16>) {
    let reader = hound::WavReader::new(Cursor::new(wav)).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16), "mono 16-bit");
    let pcm = reader.into_samples::<i16>().map(|s| s.unwrap()).collect();
    (spec.sample_rate, pcm)
}

fn rms(pcm: &[i16]) -> f64 {
    (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
}

fn envelope(pcm: &[i16]) -> Vec<f64> {
    pcm.chunks_exact(FRAME).map(rms).collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// Whether `heard` (8 kHz) is a stretch of `said` played on a loop: loud enough, and its loudness rising and falling
/// with the words at some offset into the loop. A steady or beeping tone has no such match.
fn holds_speech(heard: &[i16], said: &[i16]) -> Result<f64, String> {
    let (level, floor) = (rms(heard), rms(said) * 0.2);
    if level < floor {
        return Err(format!("too quiet: RMS {level:.0} under {floor:.0}"));
    }
    let heard = envelope(heard);
    let said = envelope(said);
    if heard.len() < 100 {
        return Err(format!("too short: {} frames", heard.len()));
    }
    let looped: Vec<f64> = said.iter().chain(&said).copied().collect();
    let best = (0..said.len())
        .map(|at| pearson(&heard, &looped[at..at + heard.len().min(said.len())]))
        .fold(f64::MIN, f64::max);
    if best < 0.6 {
        return Err(format!(
            "its loudness does not follow the speech (best correlation {best:.2})"
        ));
    }
    Ok(best)
}

#[test]
fn the_speech_check_refuses_silence_a_beep_and_other_speech() {
    let said = samples(&std::fs::read(SPEECH).unwrap()).1;
    assert!(holds_speech(&said[40_000..120_000], &said).is_ok());
    assert!(holds_speech(&vec![0; 64_000], &said).is_err());
    // Chromium's fake microphone without a file: a short 1 kHz beep every second.
    let beeps: Vec<i16> = (0..64_000)
        .map(|i| {
            let on = i % 8000 < 800;
            if on {
                ((i as f64 * std::f64::consts::TAU / 8.0).sin() * 12_000.0) as i16
            } else {
                0
            }
        })
        .collect();
    let refused = holds_speech(&beeps, &said);
    assert!(refused.is_err(), "{refused:?}");
    let other = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../storyline-sandbox/assets/story-3.wav"
    ))
    .unwrap();
    let other = samples(&other).1;
    assert!(holds_speech(&other[8_000..88_000], &said).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_phone_records_the_speech_its_microphone_hears() {
    if !browser_available("the_sandbox_phone_records_the_speech_its_microphone_hears") {
        return;
    }
    let said = samples(&std::fs::read(SPEECH).unwrap()).1;
    // Chromium wants the fake microphone's file by a plain path, without `..`.
    let speech = std::fs::canonicalize(SPEECH).expect("the speech file exists");
    let site = Site::start().await;
    let b = Browser::start_with(
        true,
        &[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-audio-capture={}", speech.display()),
            // The phone records while the application's page is open in another window.
            "--disable-background-timer-throttling".into(),
            "--disable-renderer-backgrounding".into(),
            "--disable-backgrounding-occluded-windows".into(),
        ],
    )
    .await;

    b.client
        .goto(&site.sandbox_phone)
        .await
        .expect("the sandbox phone loads");
    b.until(
        "the phone to follow the line",
        "return document.getElementById('phone').hasAttribute('data-seq')",
    )
    .await;
    assert_eq!(b.client.title().await.unwrap(), "Sandbox phone · Storyline");
    let phone = b.client.window().await.unwrap();
    // Every state the phone passes through: the greeting may be over before a poll would see it.
    b.js("var p = document.getElementById('phone'); window.__states = [];
         new MutationObserver(function () {
             if (window.__states[window.__states.length - 1] !== p.dataset.state) window.__states.push(p.dataset.state);
         }).observe(p, { attributes: true, attributeFilter: ['data-state'] });
         return true")
        .await;

    let app = b.client.new_window(false).await.unwrap().handle;
    b.client.switch_to_window(app.clone()).await.unwrap();
    b.call(&site, "201-555-0110").await;
    let recording = b.client.current_url().await.unwrap();

    b.client.switch_to_window(phone.clone()).await.unwrap();
    b.until(
        "the phone to ring",
        "return document.getElementById('phone').dataset.state === 'ringing'",
    )
    .await;
    let caller = b.js("return document.getElementById('detail').textContent").await;
    assert_eq!(caller, json!("+12015550199 is calling."));
    b.client
        .find(Locator::Css("#answer"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until(
        "the beep and the recording",
        "return document.getElementById('phone').dataset.recording === 'on'",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        b.js("return document.getElementById('phone').dataset.state").await,
        json!("record")
    );
    b.client
        .find(Locator::Css("[data-key='#']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until(
        "the call to end",
        "return document.getElementById('phone').dataset.state === 'ended'",
    )
    .await;
    assert_eq!(
        b.js("return window.__states").await,
        json!(["ringing", "say", "record", "say", "ended"]),
        "the greeting, the recording, the goodbye"
    );

    b.client.switch_to_window(app).await.unwrap();
    b.until(
        "the story to be ready",
        "return document.getElementById('status').getAttribute('data-status') === 'complete'",
    )
    .await;
    assert_eq!(b.client.title().await.unwrap(), "Your story is ready · Storyworth");

    let audio = reqwest::get(format!("{}/audio", recording.as_str().trim_end_matches('/')))
        .await
        .unwrap();
    assert!(audio.status().is_success(), "{}", audio.status());
    let (rate, heard) = samples(&audio.bytes().await.unwrap());
    assert_eq!(rate, 8000);
    let secs = heard.len() as f64 / 8000.0;
    assert!(
        (6.0..=11.0).contains(&secs),
        "about eight seconds were recorded, not {secs:.1}"
    );
    if let Err(why) = holds_speech(&heard, &said) {
        panic!("the stored story is not the microphone's speech: {why}");
    }
    b.close().await;
}
