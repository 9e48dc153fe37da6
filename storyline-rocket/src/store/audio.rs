//! Stored audio: WAV files in the data directory's `audio/`, written whole under a temporary name, checked, then
//! renamed into place, so no half-written file is ever served.

use std::path::{Path, PathBuf};
use std::time::Duration;

use storyline_core::recording::StoredMedia;

/// Where stored recordings live.
#[derive(Debug, Clone)]
pub(crate) struct AudioFiles {
    dir: PathBuf,
}

impl AudioFiles {
    /// The `audio/` directory of a data directory.
    pub(crate) fn new(data_dir: &Path) -> AudioFiles {
        AudioFiles {
            dir: data_dir.join("audio"),
        }
    }

    /// The path of a stored file.
    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The exact length of a stored recording.
    pub(crate) fn duration(&self, media: &StoredMedia) -> Option<Duration> {
        check_wav(&self.path(&media.path)).ok()
    }
}

/// Checks that a file is a WAV recording with sound in it, and returns its length.
pub(crate) fn check_wav(path: &Path) -> Result<Duration, String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("not a WAV file: {e}"))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.channels > 2 || spec.sample_rate < 4000 {
        return Err(format!("unexpected audio format: {spec:?}"));
    }
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err("the recording holds no audio".into());
    }
    Ok(Duration::from_millis(frames * 1000 / u64::from(spec.sample_rate)))
}
