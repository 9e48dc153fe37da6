//! Downloading recording media as a stream of chunks.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, LOCATION, USER_AGENT};
use http::{Method, Uri};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;

use super::retry::RequestKind;
use super::{Body, Client, Error, Origin, Read, TransportErrorKind, body_error, content_type, error};
use crate::RecordingSid;

/// Twilio's recording media URLs may redirect to storage; more hops than this is a loop.
const MAX_REDIRECTS: usize = 3;

/// The audio format to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaFormat {
    /// WAV (`.wav`, `audio/x-wav`), 8 kHz mono for phone audio; Twilio's default.
    Wav,
    /// MP3 (`.mp3`, `audio/mpeg`).
    Mp3,
}

impl MediaFormat {
    /// The extension appended to the recording URL, dot included.
    pub fn extension(self) -> &'static str {
        match self {
            MediaFormat::Wav => ".wav",
            MediaFormat::Mp3 => ".mp3",
        }
    }

    /// The media type Twilio serves it as.
    pub fn mime_type(self) -> &'static str {
        match self {
            MediaFormat::Wav => "audio/x-wav",
            MediaFormat::Mp3 => "audio/mpeg",
        }
    }
}

/// `url` with its `.json`/`.wav`/`.mp3` suffix, if any, replaced by the format's extension.
fn with_extension(url: &str, format: MediaFormat) -> String {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let stem = [".json", ".wav", ".mp3"]
        .iter()
        .find_map(|ext| path.strip_suffix(ext))
        .unwrap_or(path);
    match query {
        Some(query) => format!("{stem}{}?{query}", format.extension()),
        None => format!("{stem}{}", format.extension()),
    }
}

impl Client {
    /// `GET …/Recordings/{RecordingSid}.wav` (or `.mp3`), with this client's credentials.
    pub fn download_recording(&self, sid: &RecordingSid, format: MediaFormat) -> DownloadMedia {
        DownloadMedia {
            client: self.clone(),
            url: with_extension(&self.account_url(&format!("Recordings/{sid}")), format),
            format,
        }
    }

    /// `GET` a recording URL (a `RecordingUrl` from a callback, or a recording's `media_url`)
    /// with the format's extension.
    ///
    /// Credentials are sent only when the URL has the base URL's scheme, host and port, so they
    /// never leave for another server. Twilio's `media_url` is written with `http://`: prefer
    /// [`Client::download_recording`] when you have the SID.
    pub fn download_media(&self, url: impl AsRef<str>, format: MediaFormat) -> DownloadMedia {
        DownloadMedia {
            client: self.clone(),
            url: with_extension(url.as_ref(), format),
            format,
        }
    }

    fn media_request(&self, url: &str, format: MediaFormat) -> Result<http::Request<Bytes>, Error> {
        let invalid = || Error::InvalidRequest {
            reason: format!("{url:?} is not an absolute http or https url"),
        };
        let uri: Uri = url.parse().map_err(|_| invalid())?;
        let origin = Origin::of(&uri).ok_or_else(invalid)?;
        let mut builder = http::Request::builder()
            .method(Method::GET)
            .uri(uri)
            .header(ACCEPT, format.mime_type())
            .header(USER_AGENT, self.inner.user_agent.clone());
        if origin == self.inner.origin {
            builder = builder.header(AUTHORIZATION, self.inner.authorization.clone());
        }
        builder.body(Bytes::new()).map_err(|_| invalid())
    }
}

/// `GET` a recording's audio. Build it with [`Client::download_recording`] or
/// [`Client::download_media`].
///
/// Follows up to three redirects (credentials only go to the base URL's origin) and retries like
/// any read. The answer is streamed: nothing is buffered beyond one chunk.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct DownloadMedia {
    client: Client,
    url: String,
    format: MediaFormat,
}

impl DownloadMedia {
    /// The URL requested, extension included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP request [`send`](DownloadMedia::send) makes first, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        self.client.media_request(&self.url, self.format)
    }

    /// Requests the media and returns once the headers are in; read the audio with
    /// [`MediaStream::next_chunk`].
    pub async fn send(self) -> Result<MediaStream, Error> {
        let timeout = self.client.inner.timeout;
        let mut url = self.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let request = self.client.media_request(&url, self.format)?;
            let answer = self
                .client
                .execute(request, RequestKind::Idempotent, Read::Streaming)
                .await?;
            let Body::Streaming(body) = answer.body else {
                unreachable!("media is always read as a stream");
            };
            let status = answer.status;
            if status.is_success() {
                return Ok(MediaStream {
                    content_type: content_type(&answer.headers).map(str::to_owned),
                    content_length: answer
                        .headers
                        .get(CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok()),
                    body,
                    timeout,
                });
            }
            let location = answer.headers.get(LOCATION).and_then(|v| v.to_str().ok());
            if let (true, Some(location)) = (status.is_redirection(), location) {
                url = resolve(&url, location)?;
                continue;
            }
            let body = tokio::time::timeout(timeout, body.collect())
                .await
                .map_err(|_| Error::Timeout { after: timeout })?
                .map_err(body_error)?
                .to_bytes();
            return Err(error::from_error_body(
                status.as_u16(),
                content_type(&answer.headers),
                &body,
            ));
        }
        Err(Error::InvalidRequest {
            reason: format!("more than {MAX_REDIRECTS} redirects from {}", self.url),
        })
    }
}

/// A redirect target: absolute, or a path on the same origin.
fn resolve(current: &str, location: &str) -> Result<String, Error> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Ok(location.to_owned());
    }
    let uri: Option<Uri> = current.parse().ok();
    match (
        uri.as_ref().and_then(|u| Some((u.scheme_str()?, u.authority()?))),
        location.starts_with('/'),
    ) {
        (Some((scheme, authority)), true) => Ok(format!("{scheme}://{authority}{location}")),
        _ => Err(Error::InvalidRequest {
            reason: format!("cannot follow the redirect to {location:?}"),
        }),
    }
}

/// Recording audio arriving in chunks.
pub struct MediaStream {
    content_type: Option<String>,
    content_length: Option<u64>,
    body: Incoming,
    timeout: Duration,
}

impl fmt::Debug for MediaStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaStream")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl MediaStream {
    /// The `Content-Type` Twilio sent (`audio/x-wav`, `audio/mpeg`).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The `Content-Length`, when Twilio sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The next chunk of audio, or `None` at the end.
    ///
    /// Each call waits at most the client's per-attempt timeout; a broken connection is a
    /// [`TransportErrorKind::Io`] error (the download is not resumed).
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let frame = tokio::time::timeout(self.timeout, self.body.frame())
                .await
                .map_err(|_| Error::Timeout { after: self.timeout })?;
            match frame {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(Error::Transport {
                        kind: TransportErrorKind::Io,
                        source: Box::new(e),
                    });
                }
                // Trailers and empty frames carry no audio.
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Ok(Some(data)),
                    _ => continue,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_replaces_a_known_suffix_or_is_appended() {
        let base = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";
        assert_eq!(with_extension(base, MediaFormat::Wav), format!("{base}.wav"));
        assert_eq!(with_extension(base, MediaFormat::Mp3), format!("{base}.mp3"));
        assert_eq!(
            with_extension(&format!("{base}.json"), MediaFormat::Mp3),
            format!("{base}.mp3")
        );
        assert_eq!(
            with_extension(&format!("{base}.wav"), MediaFormat::Mp3),
            format!("{base}.mp3")
        );
        assert_eq!(
            with_extension(&format!("{base}?RequestedChannels=1"), MediaFormat::Wav),
            format!("{base}.wav?RequestedChannels=1")
        );
    }

    #[test]
    fn redirects_resolve_absolute_and_root_relative_locations_only() {
        let cur = "http://127.0.0.1:9/a/RE1.wav";
        assert_eq!(resolve(cur, "https://cdn.example/x").unwrap(), "https://cdn.example/x");
        assert_eq!(resolve(cur, "/b/RE1.wav").unwrap(), "http://127.0.0.1:9/b/RE1.wav");
        assert!(resolve(cur, "relative.wav").is_err());
    }

    #[test]
    fn formats_name_their_media_types() {
        assert_eq!(MediaFormat::Wav.mime_type(), "audio/x-wav");
        assert_eq!(MediaFormat::Mp3.mime_type(), "audio/mpeg");
    }
}
