//! The sandbox's audio: sample stories (real speech, 8 kHz mono) cut where the caller stops, as WAV and MP3.

use std::io::Cursor;

/// A sample story shipped with the repository, as WAV and as a frame-cuttable MP3 (see `assets/make-samples.sh`).
pub struct Sample {
    wav: &'static [u8],
    mp3: &'static [u8],
}

impl Sample {
    /// The whole sample as the WAV file it ships as (16-bit mono, 8 kHz).
    pub fn wav_file(&self) -> &'static [u8] {
        self.wav
    }
}

/// The sample stories the virtual storytellers tell.
pub const SAMPLES: [Sample; 3] = [
    Sample {
        wav: include_bytes!("../assets/story-1.wav"),
        mp3: include_bytes!("../assets/story-1.mp3"),
    },
    Sample {
        wav: include_bytes!("../assets/story-2.wav"),
        mp3: include_bytes!("../assets/story-2.mp3"),
    },
    Sample {
        wav: include_bytes!("../assets/story-3.wav"),
        mp3: include_bytes!("../assets/story-3.mp3"),
    },
];

/// Phone audio: 8 kHz.
pub const SAMPLE_RATE: u32 = 8000;

/// The decoded samples of a sample story.
pub fn pcm(sample: &Sample) -> Vec<i16> {
    let reader = hound::WavReader::new(Cursor::new(sample.wav)).expect("bundled sample is a valid WAV");
    reader
        .into_samples::<i16>()
        .map(|s| s.expect("bundled sample decodes"))
        .collect()
}

/// The length of a sample story in milliseconds.
pub fn duration_ms(sample: &Sample) -> u64 {
    let reader = hound::WavReader::new(Cursor::new(sample.wav)).expect("bundled sample is a valid WAV");
    u64::from(reader.duration()) * 1000 / u64::from(SAMPLE_RATE)
}

/// What the storyteller said during a `<Record>`: `ms` milliseconds of sample `index`, continuing into the next sample when
/// the story is longer than one sample (a storyteller who talks on and on).
pub fn speech(index: usize, ms: u64) -> Vec<i16> {
    let wanted = (ms * u64::from(SAMPLE_RATE) / 1000) as usize;
    let mut out = Vec::with_capacity(wanted);
    let mut i = index;
    while out.len() < wanted {
        let pcm = pcm(&SAMPLES[i % SAMPLES.len()]);
        let take = (wanted - out.len()).min(pcm.len());
        out.extend_from_slice(&pcm[..take]);
        // Half a second between stories, like a breath.
        let pause = (wanted - out.len()).min(SAMPLE_RATE as usize / 2);
        out.extend(std::iter::repeat_n(0, pause));
        i += 1;
    }
    out
}

/// A 16-bit mono 8 kHz WAV file holding `pcm`, as Twilio serves recordings.
pub fn wav(pcm: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut buf = Cursor::new(Vec::with_capacity(pcm.len() * 2 + 44));
    {
        let mut w = hound::WavWriter::new(&mut buf, spec).expect("in-memory WAV");
        for s in pcm {
            w.write_sample(*s).expect("in-memory WAV");
        }
        w.finalize().expect("in-memory WAV");
    }
    buf.into_inner()
}

/// The MP3 of the same speech: whole frames of the bundled MP3s, cut at the frame that covers `ms`.
pub fn mp3(index: usize, ms: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left_ms = ms;
    let mut i = index;
    while left_ms > 0 {
        let data = SAMPLES[i % SAMPLES.len()].mp3;
        let mut pos = 0;
        while pos + 4 <= data.len() && left_ms > 0 {
            let Some((len, frame_ms)) = frame_info(&data[pos..pos + 4]) else {
                break;
            };
            out.extend_from_slice(&data[pos..(pos + len).min(data.len())]);
            pos += len;
            left_ms = left_ms.saturating_sub(frame_ms);
        }
        i += 1;
    }
    out
}

/// Length in bytes and duration in ms of the MPEG-1/2/2.5 Layer III frame whose header is `h`.
fn frame_info(h: &[u8]) -> Option<(usize, u64)> {
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 || (h[1] >> 1) & 0b11 != 0b01 {
        return None;
    }
    let version = (h[1] >> 3) & 0b11; // 0 = 2.5, 2 = 2, 3 = 1
    let bitrate_index = (h[2] >> 4) as usize;
    let rate_index = ((h[2] >> 2) & 0b11) as usize;
    let padding = ((h[2] >> 1) & 1) as usize;
    const BITRATES_V1: [u32; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    const BITRATES_V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let (bitrate, rate, samples) = match version {
        3 => (
            *BITRATES_V1.get(bitrate_index)?,
            [44100u32, 48000, 32000].get(rate_index)?,
            1152,
        ),
        2 => (
            *BITRATES_V2.get(bitrate_index)?,
            [22050u32, 24000, 16000].get(rate_index)?,
            576,
        ),
        0 => (
            *BITRATES_V2.get(bitrate_index)?,
            [11025u32, 12000, 8000].get(rate_index)?,
            576,
        ),
        _ => return None,
    };
    if bitrate == 0 {
        return None;
    }
    let len = (samples / 8 * bitrate as usize * 1000) / *rate as usize + padding;
    Some((len, samples as u64 * 1000 / u64::from(*rate)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_phone_quality_stories_of_twenty_to_forty_seconds() {
        for s in &SAMPLES {
            let r = hound::WavReader::new(Cursor::new(s.wav)).unwrap();
            assert_eq!(r.spec().sample_rate, 8000);
            assert_eq!(r.spec().channels, 1);
            let ms = duration_ms(s);
            assert!((20_000..=40_000).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn speech_is_cut_to_the_asked_length_and_continues_past_one_sample() {
        assert_eq!(speech(0, 1500).len(), 12_000);
        let long = speech(1, 70_000);
        assert_eq!(long.len(), 560_000);
        assert!(
            long[400_000..].iter().any(|s| s.unsigned_abs() > 1000),
            "still talking after the first story"
        );
    }

    #[test]
    fn wav_round_trips() {
        let pcm = speech(2, 2000);
        let bytes = wav(&pcm);
        let r = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(r.duration(), 16_000);
    }

    #[test]
    fn mp3_is_whole_frames_covering_the_length() {
        let bytes = mp3(0, 10_000);
        let mut pos = 0;
        let mut ms = 0;
        while pos < bytes.len() {
            let (len, frame_ms) = frame_info(&bytes[pos..pos + 4]).expect("frame header");
            pos += len;
            ms += frame_ms;
        }
        assert_eq!(pos, bytes.len());
        assert!((10_000..10_100).contains(&ms), "{ms}");
    }
}
