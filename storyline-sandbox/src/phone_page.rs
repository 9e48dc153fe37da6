//! The sandbox phone's HTTP side: the page and its files, the snapshot stream, and the page's events.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::stream::{Event, EventStream};
use rocket::{Responder, Route, Shutdown, State as Managed, get, post, routes};

use crate::media::SAMPLE_RATE;
use crate::phone::{LineError, PageEvent};
use crate::state::State;

/// The longest upload: 35 minutes of 8 kHz 16-bit audio, past the application's default maximum story length.
const MAX_UPLOAD_MIB: u64 = 32;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        page, script, worklet, style, events, answer, decline, hang_up, done, key, recording
    ]
}

/// A file of the page, with a policy that allows only this origin's scripts (media may come from anywhere: `<Play>`).
#[derive(Responder)]
struct Asset {
    body: &'static str,
    kind: ContentType,
    policy: Header<'static>,
    cache: Header<'static>,
}

fn asset(body: &'static str, kind: ContentType) -> Asset {
    Asset {
        body,
        kind,
        policy: Header::new(
            "Content-Security-Policy",
            "default-src 'self'; media-src * data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        cache: Header::new("Cache-Control", "no-cache"),
    }
}

#[get("/phone")]
fn page() -> Asset {
    asset(include_str!("../static/phone.html"), ContentType::HTML)
}

#[get("/phone/phone.js")]
fn script() -> Asset {
    asset(include_str!("../static/phone.js"), ContentType::JavaScript)
}

#[get("/phone/capture.js")]
fn worklet() -> Asset {
    asset(include_str!("../static/capture.js"), ContentType::JavaScript)
}

#[get("/phone/phone.css")]
fn style() -> Asset {
    asset(include_str!("../static/phone.css"), ContentType::CSS)
}

/// What the phone shows, now and at every change. A page that goes away hangs up the call it was on.
#[get("/phone/events")]
fn events(state: &Managed<Arc<State>>, mut end: Shutdown) -> EventStream![Event + 'static] {
    let mut shown = state.phone.watch();
    let viewer = state.phone.viewer();
    EventStream! {
        let _viewer = viewer;
        loop {
            let now = shown.borrow_and_update().clone();
            yield Event::json(&now);
            tokio::select! {
                changed = shown.changed() => if changed.is_err() { break },
                _ = &mut end => break,
            }
        }
    }
    // Frequent heartbeats find a closed tab soon: writing to it fails and drops the stream.
    .heartbeat(Duration::from_secs(3))
}

/// A request from the phone page itself: a cross-site form cannot set this header, so other sites cannot answer calls.
struct FromPage;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FromPage {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.headers().get_one("X-Sandbox-Phone") {
            Some("1") => Outcome::Success(FromPage),
            _ => Outcome::Error((Status::Forbidden, ())),
        }
    }
}

fn deliver(state: &State, event: PageEvent) -> Status {
    match state.phone.send(event) {
        Ok(()) => Status::NoContent,
        Err(LineError::NoCall) => Status::Conflict,
    }
}

#[post("/phone/answer")]
fn answer(_page: FromPage, state: &Managed<Arc<State>>) -> Status {
    deliver(state, PageEvent::Answer)
}

#[post("/phone/decline")]
fn decline(_page: FromPage, state: &Managed<Arc<State>>) -> Status {
    deliver(state, PageEvent::Decline)
}

#[post("/phone/hangup")]
fn hang_up(_page: FromPage, state: &Managed<Arc<State>>) -> Status {
    deliver(state, PageEvent::HangUp)
}

#[post("/phone/done/<seq>")]
fn done(_page: FromPage, state: &Managed<Arc<State>>, seq: u64) -> Status {
    deliver(state, PageEvent::Done(seq))
}

#[post("/phone/key?<key>")]
fn key(_page: FromPage, state: &Managed<Arc<State>>, key: String) -> Status {
    match key.chars().collect::<Vec<_>>()[..] {
        [k @ ('0'..='9' | '*' | '#')] => deliver(state, PageEvent::Key(k)),
        _ => Status::BadRequest,
    }
}

/// The recording of a `Record` screen: a WAV file, mono, 16-bit, 8 kHz (the page converts the microphone's audio).
#[post("/phone/recording/<seq>?<digits>", data = "<body>")]
async fn recording(
    _page: FromPage,
    state: &Managed<Arc<State>>,
    seq: u64,
    digits: Option<String>,
    body: Data<'_>,
) -> (Status, &'static str) {
    let digits = digits.unwrap_or_default();
    if !(digits.is_empty() || digits == "hangup" || matches!(digits.as_bytes(), [b'0'..=b'9' | b'*' | b'#'])) {
        return (Status::BadRequest, "digits must be one key, hangup, or empty");
    }
    let Ok(bytes) = body.open(MAX_UPLOAD_MIB.mebibytes()).into_bytes().await else {
        return (Status::BadRequest, "the upload broke off");
    };
    if !bytes.is_complete() {
        return (Status::PayloadTooLarge, "the recording is too long");
    }
    let pcm = match read_wav(&bytes) {
        Ok(pcm) => pcm,
        Err(why) => return (Status::UnprocessableEntity, why),
    };
    match state.phone.send(PageEvent::Recording { seq, digits, pcm }) {
        Ok(()) => (Status::NoContent, ""),
        Err(LineError::NoCall) => (Status::Conflict, "no call is on the sandbox phone"),
    }
}

/// The samples of a phone-quality WAV file.
fn read_wav(bytes: &[u8]) -> Result<Vec<i16>, &'static str> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|_| "the recording is not a WAV file")?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.sample_rate != SAMPLE_RATE
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err("the recording must be mono 16-bit PCM at 8 kHz");
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .map_err(|_| "the recording's samples do not decode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_phone_quality_wav_and_refuses_other_formats() {
        let pcm: Vec<i16> = (0..800).map(|i| (i * 40) as i16).collect();
        assert_eq!(read_wav(&crate::media::wav(&pcm)), Ok(pcm));
        let mut stereo = Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::new(&mut stereo, spec).unwrap();
        w.write_sample(0i16).unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        assert!(read_wav(stereo.get_ref()).is_err());
        assert!(read_wav(b"RIFF nonsense").is_err());
    }
}
