//! The shape of a stored recording: one peak per bar, read from the WAV file once when it is stored, for the finished
//! page to draw.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many bars the finished page draws: enough to show pauses, few enough to keep the page small.
pub(crate) const BARS: usize = 72;

/// Below this share of the loudest bar, a bar counts as a pause.
const QUIET: f32 = 0.12;

/// Why a waveform could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum WaveformError {
    /// The file is missing, unreadable or not a WAV file.
    #[error("cannot read the recording: {0}")]
    Read(#[from] hound::Error),
    /// The file holds no samples.
    #[error("the recording holds no audio")]
    Empty,
}

/// The loudness of a recording over its length.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Waveform {
    peaks: Vec<f32>,
    duration: Duration,
}

impl Waveform {
    /// Reads the WAV file at `path` into `bars` peaks.
    pub(crate) fn from_path(path: &Path, bars: usize) -> Result<Self, WaveformError> {
        Self::from_reader(hound::WavReader::open(path)?, bars)
    }

    /// Reads a WAV stream into `bars` peaks, each the loudest sample of its stretch, scaled so the loudest is 1.
    pub(crate) fn from_reader<R: Read>(reader: hound::WavReader<R>, bars: usize) -> Result<Self, WaveformError> {
        let spec = reader.spec();
        let channels = u64::from(spec.channels.max(1));
        let frames = u64::from(reader.duration());
        let bars = bars.max(1);
        if frames == 0 {
            return Err(WaveformError::Empty);
        }
        let mut peaks = vec![0f32; bars];
        let scale = match spec.sample_format {
            hound::SampleFormat::Int => 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32,
            hound::SampleFormat::Float => 1.0,
        };
        let bar_of = |sample: u64| ((sample / channels) * bars as u64 / frames).min(bars as u64 - 1) as usize;
        let mut reader = reader;
        match spec.sample_format {
            hound::SampleFormat::Int => {
                for (i, s) in reader.samples::<i32>().enumerate() {
                    let bar = &mut peaks[bar_of(i as u64)];
                    *bar = bar.max((s? as f32 * scale).abs());
                }
            }
            hound::SampleFormat::Float => {
                for (i, s) in reader.samples::<f32>().enumerate() {
                    let bar = &mut peaks[bar_of(i as u64)];
                    *bar = bar.max((s? * scale).abs());
                }
            }
        }
        let loudest = peaks.iter().copied().fold(0f32, f32::max);
        if loudest > 0.0 {
            peaks.iter_mut().for_each(|p| *p = (*p / loudest).min(1.0));
        }
        Ok(Self {
            peaks,
            duration: Duration::from_millis(frames * 1000 / u64::from(spec.sample_rate.max(1))),
        })
    }

    /// A waveform worked out earlier (kept with the recording when it was stored); `None` without bars.
    pub(crate) fn from_parts(peaks: Vec<f32>, duration: Duration) -> Option<Self> {
        (!peaks.is_empty()).then_some(Self { peaks, duration })
    }

    /// Reads a stored recording off the async runtime; `None` if it cannot be read (the page then shows no waveform).
    pub(crate) async fn load(path: PathBuf) -> Option<Self> {
        tokio::task::spawn_blocking(move || Self::from_path(&path, BARS))
            .await
            .ok()?
            .map_err(|e| tracing::warn!("no waveform for a stored recording: {e}"))
            .ok()
    }

    /// One value per bar, from 0 (silence) to 1 (the loudest moment).
    pub(crate) fn peaks(&self) -> &[f32] {
        &self.peaks
    }

    /// The length of the recording.
    pub(crate) fn duration(&self) -> Duration {
        self.duration
    }

    /// The share of the recording, from 0 to 1, that holds sound rather than pauses.
    pub(crate) fn sound_share(&self) -> f32 {
        let loud = self.peaks.iter().filter(|p| **p >= QUIET).count();
        loud as f32 / self.peaks.len() as f32
    }

    /// What the drawing shows, for people who cannot see it.
    pub(crate) fn describe(&self) -> &'static str {
        match self.sound_share() {
            s if s >= 0.85 => "The recording holds sound from start to end.",
            s if s >= 0.5 => "The recording holds sound for most of its length, with some pauses.",
            s if s > 0.0 => "The recording is mostly quiet, with some sound.",
            _ => "The recording is silent.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(samples: &[i16]) -> hound::WavReader<std::io::Cursor<Vec<u8>>> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
        bytes.set_position(0);
        hound::WavReader::new(bytes).unwrap()
    }

    #[test]
    fn peaks_follow_the_loudness_of_each_stretch() {
        let mut samples = vec![0i16; 8000];
        samples[100] = 16000;
        samples[3000] = -8000;
        samples[7999] = 4000;
        let w = Waveform::from_reader(wav(&samples), 4).unwrap();
        assert_eq!(w.peaks(), &[1.0, 0.5, 0.0, 0.25]);
        assert_eq!(w.duration(), Duration::from_secs(1));
    }

    #[test]
    fn a_silent_recording_has_flat_peaks_and_says_so() {
        let w = Waveform::from_reader(wav(&[0; 800]), 10).unwrap();
        assert!(w.peaks().iter().all(|p| *p == 0.0));
        assert_eq!(w.describe(), "The recording is silent.");
    }

    #[test]
    fn describes_pauses_in_words() {
        let mut samples = vec![0i16; 1000];
        samples.iter_mut().take(600).for_each(|s| *s = 9000);
        let w = Waveform::from_reader(wav(&samples), 10).unwrap();
        assert_eq!(w.sound_share(), 0.6);
        assert!(w.describe().contains("most of its length"));
    }

    #[test]
    fn more_bars_than_samples_still_spreads_them() {
        let w = Waveform::from_reader(wav(&[1000, 2000]), 8).unwrap();
        assert_eq!(w.peaks().len(), 8);
        assert_eq!(w.peaks().iter().copied().fold(0f32, f32::max), 1.0);
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert!(matches!(Waveform::from_reader(wav(&[]), 8), Err(WaveformError::Empty)));
    }

    #[test]
    fn a_missing_file_is_an_error() {
        assert!(matches!(
            Waveform::from_path(Path::new("/nonexistent/story.wav"), 8),
            Err(WaveformError::Read(_))
        ));
    }
}
