//! The sandbox phone: a page served by the sandbox (`GET /phone`) that rings when a call goes to
//! [`BROWSER_PHONE_NUMBER`](crate::storyteller::BROWSER_PHONE_NUMBER), speaks `<Say>` with the browser's speech synthesis,
//! plays `<Play>`, records the person's microphone during `<Record>` and sends keypad presses and hang-ups.
//!
//! The page follows a snapshot of what the phone shows ([`Screen`], over server-sent events) and answers with small
//! POSTs ([`PageEvent`]). One call at a time reaches the phone: a second call while one is active finds the line busy.
//! A person is on the line, so the phone runs in real time whatever the sandbox's speed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Past the longest expected wait, a page that has not answered is taken to be gone (a closed tab).
const GRACE: Duration = Duration::from_secs(30);

/// What the phone shows; the page acts on each new one (speaks, plays, records).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub(crate) enum Screen {
    /// No call.
    Idle,
    /// A call is ringing.
    Ringing {
        /// The caller id.
        from: String,
    },
    /// Connected, nothing to play: a pause, or waiting for keys (`<Gather>`).
    Connected,
    /// Speak this text (`<Say>`).
    Say {
        /// What to say.
        text: String,
        /// A BCP 47 language tag, when the TwiML gave one.
        language: Option<String>,
        /// How many times.
        loops: u32,
    },
    /// Play this audio (`<Play>`).
    Play {
        /// The absolute URL of the audio.
        url: String,
        /// How many times.
        loops: u32,
    },
    /// Record the microphone (`<Record>`), then upload the audio.
    Record {
        /// The longest recording, in seconds.
        #[serde(rename = "maxLength")]
        max_length: u32,
        /// Seconds of silence that end the recording (0: never).
        timeout: u32,
        /// The keys that end the recording.
        #[serde(rename = "finishOnKey")]
        finish_on_key: String,
        /// Whether to beep first.
        #[serde(rename = "playBeep")]
        play_beep: bool,
    },
    /// The call is over.
    Ended {
        /// Why, in words the page shows.
        reason: String,
    },
}

/// A snapshot with its number: the page's answers name the snapshot they answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Shown {
    /// Grows with every new screen.
    pub seq: u64,
    /// What to show.
    #[serde(flatten)]
    pub screen: Screen,
}

/// What the person did on the page.
#[derive(Debug, PartialEq)]
pub(crate) enum PageEvent {
    /// Picked up.
    Answer,
    /// Declined the ringing call.
    Decline,
    /// Finished playing the screen numbered so.
    Done(u64),
    /// Pressed a key.
    Key(char),
    /// Pressed hang up, or closed the page.
    HangUp,
    /// The recording of the screen numbered `seq`, ended by `digits` (a key, `hangup`, or empty).
    Recording {
        /// The `Record` screen it answers.
        seq: u64,
        /// What ended it.
        digits: String,
        /// 8 kHz mono samples.
        pcm: Vec<i16>,
    },
}

/// The sandbox's one phone line to the browser.
#[derive(Clone)]
pub(crate) struct Line(Arc<Inner>);

struct Inner {
    shown: watch::Sender<Shown>,
    seq: AtomicU64,
    /// Where the page's events go while a call is on the line.
    call: Mutex<Option<mpsc::UnboundedSender<PageEvent>>>,
    /// Pages following the line right now.
    viewers: AtomicUsize,
}

/// Why the page's event was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LineError {
    /// No call is on the line.
    #[error("no call is on the sandbox phone")]
    NoCall,
}

impl Default for Line {
    fn default() -> Self {
        let (shown, _) = watch::channel(Shown {
            seq: 0,
            screen: Screen::Idle,
        });
        Line(Arc::new(Inner {
            shown,
            seq: AtomicU64::new(0),
            call: Mutex::new(None),
            viewers: AtomicUsize::new(0),
        }))
    }
}

impl Line {
    /// Takes the line for a call, or `None` when another call holds it (the caller hears busy).
    pub(crate) fn open(&self) -> Option<Session> {
        let mut call = self.0.call.lock().expect("not poisoned");
        if call.as_ref().is_some_and(|tx| !tx.is_closed()) {
            return None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        *call = Some(tx);
        Some(Session {
            line: self.clone(),
            events: rx,
            seq: 0,
            ended: "The call ended.".into(),
        })
    }

    /// Hands the page's event to the call on the line.
    pub(crate) fn send(&self, event: PageEvent) -> Result<(), LineError> {
        let call = self.0.call.lock().expect("not poisoned");
        match call.as_ref() {
            Some(tx) => tx.send(event).map_err(|_| LineError::NoCall),
            None => Err(LineError::NoCall),
        }
    }

    /// What the phone shows now, and every change after.
    pub(crate) fn watch(&self) -> watch::Receiver<Shown> {
        self.0.shown.subscribe()
    }

    /// Counts a page following the line until the returned guard is dropped; the last page to go hangs up the call.
    pub(crate) fn viewer(&self) -> Viewer {
        self.0.viewers.fetch_add(1, Ordering::SeqCst);
        Viewer(self.clone())
    }

    fn show(&self, screen: Screen) -> u64 {
        let seq = self.0.seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.shown.send_replace(Shown { seq, screen });
        seq
    }
}

/// A page following the line (see [`Line::viewer`]).
pub(crate) struct Viewer(Line);

impl Drop for Viewer {
    fn drop(&mut self) {
        if self.0.0.viewers.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Nobody is left holding the phone: a call in progress is hung up; a ringing one keeps ringing.
            let _ = self.0.send(PageEvent::HangUp);
        }
    }
}

/// How the ringing ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ring {
    /// Picked up.
    Answered,
    /// Declined: the caller hears busy.
    Declined,
    /// Nobody picked up in time.
    NoAnswer,
}

/// Whether the person is still there after a verb.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Heard {
    /// The verb ran to its end (or the page took too long: the call goes on, as on a phone nobody listens to).
    Done,
    /// The person hung up.
    HungUp,
}

/// What the microphone recorded during `<Record>`.
#[derive(Debug, Default)]
pub(crate) struct Take {
    /// 8 kHz mono samples.
    pub pcm: Vec<i16>,
    /// What ended it: a key, `hangup`, or nothing (silence, maximum length).
    pub digits: Option<String>,
    /// Whether the person hung up.
    pub hung_up: bool,
}

/// One call on the line; dropping it frees the line and tells the page the call ended.
pub(crate) struct Session {
    line: Line,
    events: mpsc::UnboundedReceiver<PageEvent>,
    seq: u64,
    ended: String,
}

impl Session {
    fn show(&mut self, screen: Screen) -> u64 {
        self.seq = self.line.show(screen);
        self.seq
    }

    /// The next event before `deadline`, or `None` once it passes.
    async fn next(&mut self, deadline: Instant) -> Option<PageEvent> {
        tokio::time::timeout_at(deadline, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// Sets the words the page shows when the call ends.
    pub(crate) fn end_with(&mut self, reason: &str) {
        reason.clone_into(&mut self.ended);
    }

    /// Rings for `timeout` seconds, as the call's `Timeout` asks.
    pub(crate) async fn ring(&mut self, from: &str, timeout: u32) -> Ring {
        self.show(Screen::Ringing { from: from.into() });
        let deadline = Instant::now() + Duration::from_secs(u64::from(timeout));
        loop {
            match self.next(deadline).await {
                Some(PageEvent::Answer) => return Ring::Answered,
                Some(PageEvent::Decline) => return Ring::Declined,
                // A closed page leaves the phone ringing.
                Some(_) => {}
                None => return Ring::NoAnswer,
            }
        }
    }

    /// Waits for the page to finish the current screen, for at most `limit`.
    async fn until_done(&mut self, limit: Duration) -> Heard {
        let deadline = Instant::now() + limit;
        loop {
            match self.next(deadline).await {
                Some(PageEvent::Done(seq)) if seq == self.seq => return Heard::Done,
                Some(PageEvent::HangUp) => return Heard::HungUp,
                // Keys pressed outside `<Gather>` and `<Record>` are ignored, as Twilio does.
                Some(_) => {}
                None => return Heard::Done,
            }
        }
    }

    /// Speaks `text` (`<Say>`).
    pub(crate) async fn say(&mut self, text: &str, language: Option<&str>, loops: u32) -> Heard {
        let secs = crate::storyteller::speaking_time(text) * f64::from(loops);
        self.show(Screen::Say {
            text: text.into(),
            language: language.map(str::to_owned),
            loops,
        });
        self.until_done(Duration::from_secs_f64(secs) + GRACE).await
    }

    /// Plays the audio at `url` (`<Play>`).
    pub(crate) async fn play(&mut self, url: &str, loops: u32) -> Heard {
        self.show(Screen::Play { url: url.into(), loops });
        // The audio's length is known only to the page: allow a long greeting.
        self.until_done(Duration::from_secs(120 * u64::from(loops)) + GRACE)
            .await
    }

    /// Stays silent for `secs` seconds (`<Pause>`).
    pub(crate) async fn pause(&mut self, secs: u32) -> Heard {
        self.show(Screen::Connected);
        let deadline = Instant::now() + Duration::from_secs(u64::from(secs));
        loop {
            match self.next(deadline).await {
                Some(PageEvent::HangUp) => return Heard::HungUp,
                Some(_) => {}
                None => return Heard::Done,
            }
        }
    }

    /// Collects keys (`<Gather>`): until a finish key, `num_digits` keys, or `timeout` seconds without a key.
    pub(crate) async fn gather(
        &mut self,
        timeout: u32,
        finish_on_key: &str,
        num_digits: Option<u32>,
    ) -> Result<String, Heard> {
        self.show(Screen::Connected);
        let mut digits = String::new();
        loop {
            let deadline = Instant::now() + Duration::from_secs(u64::from(timeout));
            match self.next(deadline).await {
                Some(PageEvent::Key(k)) if finish_on_key.contains(k) => return Ok(digits),
                Some(PageEvent::Key(k)) => {
                    digits.push(k);
                    if num_digits.is_some_and(|n| digits.len() >= n as usize) {
                        return Ok(digits);
                    }
                }
                Some(PageEvent::HangUp) => return Err(Heard::HungUp),
                Some(_) => {}
                None => return Ok(digits),
            }
        }
    }

    /// Records the microphone (`<Record>`) until the page uploads the audio.
    pub(crate) async fn record(&mut self, max_length: u32, timeout: u32, finish_on_key: &str, play_beep: bool) -> Take {
        let seq = self.show(Screen::Record {
            max_length,
            timeout,
            finish_on_key: finish_on_key.into(),
            play_beep,
        });
        let deadline = Instant::now() + Duration::from_secs(u64::from(max_length)) + GRACE;
        loop {
            match self.next(deadline).await {
                Some(PageEvent::Recording {
                    seq: s,
                    digits,
                    mut pcm,
                }) if s == seq => {
                    pcm.truncate(max_length as usize * crate::media::SAMPLE_RATE as usize);
                    let hung_up = digits == "hangup";
                    return Take {
                        pcm,
                        digits: Some(digits).filter(|d| !d.is_empty()),
                        hung_up,
                    };
                }
                Some(PageEvent::HangUp) | None => {
                    // The page is gone without its audio: Twilio would have heard the line drop.
                    return Take {
                        pcm: Vec::new(),
                        digits: Some("hangup".into()),
                        hung_up: true,
                    };
                }
                Some(_) => {}
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let mut call = self.line.0.call.lock().expect("not poisoned");
        *call = None;
        drop(call);
        self.line.show(Screen::Ended {
            reason: std::mem::take(&mut self.ended),
        });
    }
}

#[cfg(test)]
mod tests;
