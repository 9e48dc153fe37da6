//! Checks of a stored story as a browser's `<audio>` element fetches it: whole, in byte ranges, and as real sound.

use std::io::Cursor;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use storyline_sandbox::media::{SAMPLES, duration_ms};
use storyline_sandbox::storyteller::Behaviour;

use crate::Http;
use crate::http::header;

/// How far a stored story's length may be from what the storyteller said (the sandbox trims silence at both ends).
pub const LENGTH_TOLERANCE: Duration = Duration::from_millis(500);

/// Below this RMS a 16-bit recording is silence, or nearly.
const RMS_FLOOR: f64 = 300.0;

/// The length of the sample story the sandbox's storyteller at `e164` tells.
pub fn sample_story_length(e164: &str) -> Duration {
    Duration::from_millis(duration_ms(&SAMPLES[Behaviour::sample_for(e164)]))
}

/// What a WAV file holds.
pub struct Wav {
    /// Its length.
    pub length: Duration,
    /// Its loudness (root mean square of the samples): silence is near 0.
    pub rms: f64,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
}

/// Parses a WAV file and measures it.
pub fn measure(bytes: &[u8]) -> Wav {
    let reader = hound::WavReader::new(Cursor::new(bytes)).expect("the stored story is a WAV file");
    let spec = reader.spec();
    assert_eq!(spec.sample_format, hound::SampleFormat::Int, "{spec:?}");
    assert_eq!(spec.bits_per_sample, 16, "{spec:?}");
    let frames = reader.duration();
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("the WAV's samples decode");
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    Wav {
        length: Duration::from_secs_f64(f64::from(frames) / f64::from(spec.sample_rate)),
        rms: (energy / samples.len().max(1) as f64).sqrt(),
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    }
}

/// Fetches a complete recording's audio, checks the headers a player needs, that it is speech of about `expected`
/// length, and that byte ranges are served exactly. Returns the file.
pub async fn check_story_audio(http: &Http, status: &serde_json::Value, expected: Duration) -> Vec<u8> {
    let url = status["audio_url"]
        .as_str()
        .unwrap_or_else(|| panic!("a complete story has an audio_url: {status}"));
    let res = http
        .client
        .get(http.href(url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(res.status(), StatusCode::OK, "GET {url}");
    assert_eq!(header(&res, CONTENT_TYPE), "audio/wav", "GET {url}");
    assert_eq!(header(&res, ACCEPT_RANGES), "bytes", "GET {url}");
    let declared: usize = header(&res, CONTENT_LENGTH)
        .parse()
        .unwrap_or_else(|_| panic!("GET {url} declares its Content-Length"));
    let body = res.bytes().await.expect("the audio downloads").to_vec();
    assert_eq!(body.len(), declared, "GET {url}: Content-Length matches the body");

    let wav = measure(&body);
    assert_eq!((wav.sample_rate, wav.channels), (8000, 1), "phone audio: 8 kHz mono");
    assert!(
        wav.rms > RMS_FLOOR,
        "GET {url} is speech, not silence (RMS {:.0})",
        wav.rms
    );
    assert!(
        wav.length.abs_diff(expected) <= LENGTH_TOLERANCE,
        "GET {url} lasts {:?}; the storyteller spoke for {expected:?}",
        wav.length
    );
    let reported = status["duration_secs"]
        .as_f64()
        .expect("a complete story reports its duration");
    assert!(
        (reported - wav.length.as_secs_f64()).abs() < 0.01,
        "duration_secs {reported} is the stored file's length {:?}",
        wav.length
    );

    check_ranges(http, url, &body).await;
    body
}

async fn check_ranges(http: &Http, url: &str, whole: &[u8]) {
    let len = whole.len();
    let ranged = |range: String| {
        let req = http.client.get(http.href(url)).header(RANGE, range);
        async move { req.send().await.expect("a range request") }
    };

    let res = ranged("bytes=100-199".into()).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "bytes=100-199 of {url}");
    assert_eq!(header(&res, CONTENT_RANGE), format!("bytes 100-199/{len}"));
    assert_eq!(header(&res, CONTENT_LENGTH), "100");
    assert_eq!(res.bytes().await.expect("the part downloads"), &whole[100..200]);

    let res = ranged("bytes=0-".into()).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "bytes=0- of {url}");
    assert_eq!(header(&res, CONTENT_RANGE), format!("bytes 0-{}/{len}", len - 1));
    assert_eq!(res.bytes().await.expect("the part downloads"), whole);

    let res = ranged(format!("bytes={len}-")).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "bytes={len}- of {url}");
    assert_eq!(header(&res, CONTENT_RANGE), format!("bytes */{len}"));
}
