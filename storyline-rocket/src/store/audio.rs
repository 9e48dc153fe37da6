//! Stored audio: WAV files in the data directory's `audio/`, or objects in an S3 or S3-compatible bucket
//! (`STORYLINE_AUDIO_STORE=s3://bucket/prefix`). Either way a recording is written whole before anything refers to
//! it (a file under a temporary name then renamed; an object, which S3 shows only once its upload completes), and it
//! is read back in ranges, streamed, never whole into memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutPayload, RetryConfig, WriteMultipart};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncSeekExt as _};

/// A body of audio bytes, as the audio route sends it.
pub(crate) type AudioBody = Pin<Box<dyn AsyncRead + Send>>;

/// Where stored recordings live.
#[derive(Debug, Clone)]
pub(crate) enum AudioFiles {
    /// The data directory's `audio/`.
    Files { dir: PathBuf },
    /// A bucket, under a prefix.
    S3 {
        store: Arc<dyn ObjectStore>,
        prefix: ObjectPath,
        /// `s3://bucket/prefix`, for messages.
        place: String,
        /// Where downloads wait to be checked before they are uploaded.
        scratch: PathBuf,
    },
}

/// Why the audio store cannot be used: one line, naming the setting.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AudioStoreError {
    /// The setting is not an `s3://` URL.
    #[error("STORYLINE_AUDIO_STORE must be s3://bucket/prefix, or unset for files in the data directory; it is {0:?}")]
    Url(String),
    /// The directory or the bucket cannot be used.
    #[error("{setting}: cannot use {place} for audio: {reason}")]
    Unusable {
        setting: &'static str,
        place: String,
        reason: String,
    },
}

/// The object every instance writes at start-up and reads for `/readyz`: proof that the bucket exists and that the
/// credentials may write to it and read from it.
const PROBE: &str = ".storyline-ready";

/// Objects larger than this are uploaded in parts of this size (S3 takes parts of 5 MiB to 5 GiB).
const PART_BYTES: usize = 8 * 1024 * 1024;

impl AudioFiles {
    /// The audio store the settings name (`audio_store`), or files in `data_dir` when none is named. A bucket is
    /// written to once here, so a wrong bucket, endpoint or credentials stop start-up.
    pub(crate) async fn open(
        setting: Option<&str>,
        options: &BTreeMap<String, String>,
        data_dir: &Path,
    ) -> Result<AudioFiles, AudioStoreError> {
        let Some(url) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
            let dir = data_dir.join("audio");
            std::fs::create_dir_all(&dir).map_err(|e| AudioStoreError::Unusable {
                setting: "STORYLINE_DATA_DIR",
                place: dir.display().to_string(),
                reason: e.to_string(),
            })?;
            sweep(&dir);
            return Ok(AudioFiles::Files { dir });
        };
        let unusable = |reason: String| AudioStoreError::Unusable {
            setting: "STORYLINE_AUDIO_STORE",
            place: url.to_owned(),
            reason,
        };
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(AudioStoreError::Url(url.to_owned()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(AudioStoreError::Url(url.to_owned()));
        }
        let mut builder = AmazonS3Builder::from_env();
        for (key, value) in options {
            let key: AmazonS3ConfigKey = key
                .parse()
                .map_err(|_| unusable(format!("audio_store_options: unknown option {key:?}")))?;
            builder = builder.with_config(key, value);
        }
        // Retried a little, not for minutes: a bucket that cannot be reached at start-up stops start-up, and a page
        // waiting for audio should not wait longer than a person would.
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(15),
            ..RetryConfig::default()
        };
        let store = builder
            .with_retry(retry)
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| unusable(first_line(&e)))?;
        let scratch = data_dir.join("incoming");
        std::fs::create_dir_all(&scratch).map_err(|e| AudioStoreError::Unusable {
            setting: "STORYLINE_DATA_DIR",
            place: scratch.display().to_string(),
            reason: e.to_string(),
        })?;
        sweep(&scratch);
        let files = AudioFiles::S3 {
            store: Arc::new(store),
            prefix: ObjectPath::from(prefix.trim_matches('/')),
            place: url.to_owned(),
            scratch,
        };
        if let AudioFiles::S3 { store, prefix, .. } = &files {
            // Listing proves the bucket exists (some S3-compatible stores would create it on a write), the write
            // proves the credentials may store audio, and the read below that they may serve it.
            // A role allowed only to read and write objects may not list: that is no reason to stop.
            if let Err(e) = store.list_with_delimiter(Some(prefix)).await {
                let e = first_line(&e);
                if e.contains("NoSuchBucket") || e.contains("404") {
                    return Err(unusable(e));
                }
            }
            store
                .put(&files.object(PROBE), PutPayload::from_static(b"storyline\n"))
                .await
                .map_err(|e| unusable(first_line(&e)))?;
        }
        files.check().await.map_err(unusable)?;
        Ok(files)
    }

    /// The directory downloads are written to before they are kept ([`AudioFiles::keep`]).
    pub(crate) fn scratch(&self) -> &Path {
        match self {
            AudioFiles::Files { dir } => dir,
            AudioFiles::S3 { scratch, .. } => scratch,
        }
    }

    /// What the start-up message calls it.
    pub(crate) fn describe(&self) -> String {
        match self {
            AudioFiles::Files { dir } => format!("files in {}", dir.display()),
            AudioFiles::S3 { place, .. } => place.clone(),
        }
    }

    fn object(&self, name: &str) -> ObjectPath {
        match self {
            AudioFiles::S3 { prefix, .. } => prefix.clone().join(name),
            AudioFiles::Files { .. } => ObjectPath::from(name),
        }
    }

    /// Whether stored audio can be read (`/readyz`).
    pub(crate) async fn check(&self) -> Result<(), String> {
        match self {
            AudioFiles::Files { dir } => tokio::fs::metadata(dir)
                .await
                .map(drop)
                .map_err(|e| format!("{}: {e}", dir.display())),
            AudioFiles::S3 { store, .. } => store
                .head(&self.object(PROBE))
                .await
                .map(drop)
                .map_err(|e| first_line(&e)),
        }
    }

    /// Keeps a checked download (`local`, in [`AudioFiles::scratch`]) as `name`: renamed into place, or uploaded
    /// whole and then removed. Until this returns, nothing refers to `name`.
    pub(crate) async fn keep(&self, local: &Path, name: &str) -> Result<(), String> {
        match self {
            AudioFiles::Files { dir } => {
                tokio::fs::rename(local, dir.join(name))
                    .await
                    .map_err(|e| e.to_string())?;
                // The rename itself is made durable before the recording refers to the file.
                let dir = tokio::fs::File::open(dir).await.map_err(|e| e.to_string())?;
                dir.sync_all().await.map_err(|e| e.to_string())
            }
            AudioFiles::S3 { store, .. } => {
                let path = self.object(name);
                let mut file = tokio::fs::File::open(local).await.map_err(|e| e.to_string())?;
                let size = file.metadata().await.map_err(|e| e.to_string())?.len();
                if size <= PART_BYTES as u64 {
                    let mut all = Vec::with_capacity(size as usize);
                    file.read_to_end(&mut all).await.map_err(|e| e.to_string())?;
                    store
                        .put(&path, PutPayload::from(all))
                        .await
                        .map_err(|e| first_line(&e))?;
                } else {
                    // The object appears only when the last part is in; a failed upload is abandoned, not shown.
                    let upload = store.put_multipart(&path).await.map_err(|e| first_line(&e))?;
                    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
                    let mut buf = vec![0u8; 1024 * 1024];
                    loop {
                        let n = match file.read(&mut buf).await {
                            Ok(n) => n,
                            Err(e) => {
                                let _ = writer.abort().await;
                                return Err(e.to_string());
                            }
                        };
                        if n == 0 {
                            break;
                        }
                        if let Err(e) = writer.wait_for_capacity(4).await {
                            let _ = writer.abort().await;
                            return Err(first_line(&e));
                        }
                        writer.write(&buf[..n]);
                    }
                    if let Err(e) = writer.finish().await {
                        // `finish` aborted the upload: no part of it stays in the bucket.
                        return Err(first_line(&e));
                    }
                }
                let _ = tokio::fs::remove_file(local).await;
                Ok(())
            }
        }
    }

    /// Bytes `start..=end` of the stored recording `name`, streamed.
    pub(crate) async fn read(&self, name: &str, start: u64, end: u64) -> std::io::Result<AudioBody> {
        match self {
            AudioFiles::Files { dir } => {
                let mut file = tokio::fs::File::open(dir.join(name)).await?;
                file.seek(std::io::SeekFrom::Start(start)).await?;
                Ok(Box::pin(file.take(end - start + 1)))
            }
            AudioFiles::S3 { store, .. } => {
                let options = GetOptions {
                    range: Some(GetRange::Bounded(start..end + 1)),
                    ..GetOptions::default()
                };
                let got = store.get_opts(&self.object(name), options).await.map_err(|e| match e {
                    object_store::Error::NotFound { .. } => std::io::Error::from(std::io::ErrorKind::NotFound),
                    e => std::io::Error::other(first_line(&e)),
                })?;
                let stream = got
                    .into_stream()
                    .map(|chunk: object_store::Result<Bytes>| chunk.map_err(std::io::Error::other));
                Ok(Box::pin(tokio_util::io::StreamReader::new(stream)))
            }
        }
    }

    /// Removes a stored recording for good; one already gone is what was wanted.
    pub(crate) async fn remove(&self, name: &str) -> Result<(), String> {
        match self {
            AudioFiles::Files { dir } => match tokio::fs::remove_file(dir.join(name)).await {
                Ok(()) => {
                    let dir = tokio::fs::File::open(dir).await.map_err(|e| e.to_string())?;
                    dir.sync_all().await.map_err(|e| e.to_string())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            AudioFiles::S3 { store, .. } => match store.delete(&self.object(name)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(first_line(&e)),
            },
        }
    }

    /// The size of a stored recording, for recordings stored before their size was kept with them.
    pub(crate) async fn size(&self, name: &str) -> std::io::Result<u64> {
        match self {
            AudioFiles::Files { dir } => Ok(tokio::fs::metadata(dir.join(name)).await?.len()),
            AudioFiles::S3 { store, .. } => store
                .head(&self.object(name))
                .await
                .map(|m| m.size)
                .map_err(|e| std::io::Error::other(first_line(&e))),
        }
    }

    /// The local path of a stored file, where there is one (for recordings stored before their shape was kept).
    pub(crate) fn local_path(&self, name: &str) -> Option<PathBuf> {
        match self {
            AudioFiles::Files { dir } => Some(dir.join(name)),
            AudioFiles::S3 { .. } => None,
        }
    }
}

/// Removes downloads a stopped process left half-done (`*.part`, older than an hour).
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(3600)));
        if old && path.extension().is_some_and(|e| e == "part") {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The first line of an error: object_store's carry the whole response.
fn first_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
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

/// What the pages show of a stored recording, worked out when it was stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AudioFacts {
    pub size_bytes: u64,
    pub duration: Duration,
    /// The waveform's bars, 0 to 1.
    pub peaks: Vec<f32>,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    size_bytes: i64,
    duration_ms: i64,
    peaks: String,
}

impl super::Store {
    /// Forgets a recording's audio facts (its story was deleted).
    pub(crate) async fn forget_audio_facts(&self, id: &storyline_core::RecordingId) -> Result<(), super::StoreError> {
        super::on_db!(self, |pool, pg| {
            sqlx::query("DELETE FROM storyline_audio WHERE recording_id = $1")
                .bind(id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps what was worked out of a recording's audio.
    pub(crate) async fn save_audio_facts(
        &self,
        id: &storyline_core::RecordingId,
        facts: &AudioFacts,
    ) -> Result<(), super::StoreError> {
        let peaks = facts
            .peaks
            .iter()
            .map(|p| ((p.clamp(0.0, 1.0) * 100.0).round() as u8).to_string())
            .collect::<Vec<_>>()
            .join(",");
        super::on_db!(self, |pool, pg| {
            sqlx::query(
                "INSERT INTO storyline_audio (recording_id, size_bytes, duration_ms, peaks) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (recording_id) DO UPDATE SET size_bytes = excluded.size_bytes, \
                 duration_ms = excluded.duration_ms, peaks = excluded.peaks",
            )
            .bind(id.as_str())
            .bind(i64::try_from(facts.size_bytes).unwrap_or(i64::MAX))
            .bind(i64::try_from(facts.duration.as_millis()).unwrap_or(i64::MAX))
            .bind(peaks)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// What was worked out of a recording's audio, if it was.
    pub(crate) async fn audio_facts(
        &self,
        id: &storyline_core::RecordingId,
    ) -> Result<Option<AudioFacts>, super::StoreError> {
        let row: Option<FactsRow> = super::on_db!(self, |pool, pg| {
            sqlx::query_as("SELECT size_bytes, duration_ms, peaks FROM storyline_audio WHERE recording_id = $1")
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|r| AudioFacts {
            size_bytes: u64::try_from(r.size_bytes).unwrap_or(0),
            duration: Duration::from_millis(u64::try_from(r.duration_ms).unwrap_or(0)),
            peaks: r
                .peaks
                .split(',')
                .filter_map(|p| p.parse::<u8>().ok())
                .map(|p| f32::from(p) / 100.0)
                .collect(),
        }))
    }
}
