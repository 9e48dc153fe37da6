//! Copying a finished recording from Twilio into storage: streamed to a scratch file, checked, its shape worked out,
//! kept in the audio store (renamed into place, or uploaded whole), and the outcome reported to the state machine (which schedules any retry).

use storyline_core::client::MediaFormat;
use storyline_core::recording::{Event, StoredMedia};
use storyline_core::{RecordingId, RecordingSid};
use tokio::io::AsyncWriteExt as _;

use super::Outcome;
use crate::app::App;
use crate::pages::waveform::{self, Waveform};
use crate::store::{AudioFacts, check_wav, now_ms};
use crate::story;

/// Four hours of 16-bit 8 kHz mono (Twilio's longest `<Record>`), with room to spare.
const MAX_MEDIA_BYTES: u64 = 512 * 1024 * 1024;

/// Copies the recording and reports the outcome. The job itself is done once the outcome is recorded: retries are
/// the state machine's to schedule.
pub(super) async fn copy(
    app: &App,
    id: &RecordingId,
    recording_sid: &RecordingSid,
    media_url: Option<&str>,
    attempt: u32,
) -> Outcome {
    let event = match download(app, id, recording_sid, media_url).await {
        Ok(media) => Event::MediaStored {
            recording_sid: recording_sid.clone(),
            media,
        },
        Err((retryable, reason)) => {
            tracing::warn!(attempt, "storing the recording failed: {reason}");
            Event::StorageFailed {
                recording_sid: recording_sid.clone(),
                attempt,
                retryable,
                reason,
            }
        }
    };
    let stored = matches!(event, Event::MediaStored { .. });
    match story::apply(app, id, event).await {
        Ok(_) => Outcome::Done,
        // Deleted while it was copied: what this copy stored goes too.
        Err(story::StoryError::NotFound) if stored && app.store.is_deleted(id).await.unwrap_or(false) => {
            tracing::info!(recording = %id.log_tag(), "a copy finished after its story was deleted: removing it");
            if let Err(e) = app.store.forget_audio_facts(id).await {
                return Outcome::Retry(format!("removing a deleted story's audio facts failed: {e}"));
            }
            match app.audio.remove(&format!("{id}.wav")).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(format!("removing a deleted story's audio failed: {e}")),
            }
        }
        Err(e) => Outcome::Retry(format!("saving the outcome failed: {e}")),
    }
}

/// A download in the scratch directory, removed when dropped unless it was kept (moved or uploaded) first.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn download(
    app: &App,
    id: &RecordingId,
    recording_sid: &RecordingSid,
    media_url: Option<&str>,
) -> Result<StoredMedia, (bool, String)> {
    let request = match media_url {
        Some(url) => app.twilio.download_media(url, MediaFormat::Wav),
        None => app.twilio.download_recording(recording_sid, MediaFormat::Wav),
    };
    // A 404 right after the callback is ordinary (the file is still being processed): retryable, like any failure of
    // Twilio or the network. Only a file that is not audio is not.
    let mut stream = request.send().await.map_err(|e| (true, e.to_string()))?;
    let file_name = format!("{id}.wav");
    // A name of its own (two copies of one recording may run at once) that is removed however this ends.
    let scratch = Scratch(app.audio.scratch().join(format!("{id}.{}.part", now_ms())));
    let part = scratch.0.clone();
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| (true, e.to_string()))?;
    let mut size = 0u64;
    while let Some(chunk) = stream.next_chunk().await.map_err(|e| (true, e.to_string()))? {
        size += chunk.len() as u64;
        if size > MAX_MEDIA_BYTES {
            return Err((false, format!("the recording is larger than {MAX_MEDIA_BYTES} bytes")));
        }
        file.write_all(&chunk).await.map_err(|e| (true, e.to_string()))?;
    }
    file.sync_all().await.map_err(|e| (true, e.to_string()))?;
    drop(file);
    // Checked, and its shape worked out once for every page that will show it, off the async runtime.
    let checked = part.clone();
    let (duration, waveform) = tokio::task::spawn_blocking(move || {
        let duration = check_wav(&checked)?;
        let waveform = Waveform::from_path(&checked, waveform::BARS).map_err(|e| e.to_string())?;
        Ok::<_, String>((duration, waveform))
    })
    .await
    .map_err(|e| (true, e.to_string()))?
    .map_err(|e| (false, e))?;
    app.audio.keep(&part, &file_name).await.map_err(|e| (true, e))?;
    let facts = AudioFacts {
        size_bytes: size,
        duration,
        peaks: waveform.peaks().to_vec(),
    };
    app.store
        .save_audio_facts(id, &facts)
        .await
        .map_err(|e| (true, e.to_string()))?;
    let checked = duration;
    Ok(StoredMedia {
        path: file_name,
        size_bytes: size,
        duration_secs: Some(u32::try_from(checked.as_secs()).unwrap_or(u32::MAX)),
        duration_ms: Some(u64::try_from(checked.as_millis()).unwrap_or(u64::MAX)),
    })
}
