//! Serving stored audio with byte ranges (Safari will not play or seek audio without `206 Partial Content`),
//! streamed from the audio store: the page never points at the bucket or at Twilio.

use std::io::SeekFrom;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};

use crate::store::{AudioBody, AudioFiles};

/// The request's `Range` header, if any.
pub(crate) struct RangeHeader(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RangeHeader {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(RangeHeader(req.headers().get_one("Range").map(str::to_owned)))
    }
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No range, or one we ignore (several ranges, another unit): the whole file.
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A range that lies outside the file: `416`.
    Unsatisfiable,
}

/// Reads a `Range` header as RFC 9110 defines a single byte range.
pub(crate) fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        // Multipart ranges are allowed to be answered with the whole representation.
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = if first.is_empty() {
        // Suffix range: the last N bytes.
        match last.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => Some((len.saturating_sub(n), len.saturating_sub(1))),
            Err(_) => None,
        }
    } else {
        match (first.parse::<u64>(), last) {
            (Ok(start), "") => Some((start, len.saturating_sub(1))),
            (Ok(start), last) => match last.parse::<u64>() {
                Ok(end) if end >= start => Some((start, end.min(len.saturating_sub(1)))),
                _ => None,
            },
            _ => None,
        }
    };
    match parsed {
        None => RangeRequest::Whole,
        Some((start, _)) if len == 0 || start >= len => RangeRequest::Unsatisfiable,
        Some((start, end)) => RangeRequest::Part { start, end },
    }
}

/// A stored recording, answered whole or in part, streamed from the audio store.
pub(crate) struct AudioFile {
    body: Option<AudioBody>,
    len: u64,
    content_type: ContentType,
    range: RangeRequest,
    download_name: Option<String>,
}

impl AudioFile {
    /// Opens the stored recording `name` of `len` bytes (0: not known, then asked of the store) at the part the
    /// `Range` header asks for.
    pub(crate) async fn open(
        audio: &AudioFiles,
        name: &str,
        len: u64,
        content_type: ContentType,
        range: &RangeHeader,
    ) -> std::io::Result<Self> {
        let len = if len == 0 { audio.size(name).await? } else { len };
        let range = parse_range(range.0.as_deref(), len);
        let body = match range {
            RangeRequest::Whole if len > 0 => Some(audio.read(name, 0, len - 1).await?),
            RangeRequest::Part { start, end } => Some(audio.read(name, start, end).await?),
            _ => None,
        };
        Ok(Self {
            body,
            len,
            content_type,
            range,
            download_name: None,
        })
    }

    /// Asks the browser to save the file under this name instead of playing it.
    pub(crate) fn download_as(mut self, name: String) -> Self {
        self.download_name = Some(name);
        self
    }
}

impl<'r> Responder<'r, 'static> for AudioFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.header(self.content_type)
            .raw_header("Accept-Ranges", "bytes")
            .raw_header("Cache-Control", "private, max-age=3600");
        if let Some(name) = &self.download_name {
            res.header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            ));
        }
        match (self.range, self.body) {
            (RangeRequest::Unsatisfiable, _) => {
                res.status(Status::RangeNotSatisfiable)
                    .raw_header("Content-Range", format!("bytes */{}", self.len));
            }
            (RangeRequest::Part { start, end }, Some(body)) => {
                res.status(Status::PartialContent)
                    .raw_header("Content-Range", format!("bytes {start}-{end}/{}", self.len))
                    .sized_body(Some((end - start + 1) as usize), Sized(body));
            }
            (_, Some(body)) => {
                res.sized_body(Some(self.len as usize), Sized(body));
            }
            (_, None) => {
                res.sized_body(Some(0), std::io::Cursor::new(Vec::new()));
            }
        }
        Ok(res.finalize())
    }
}

/// A body whose size is given: Rocket never seeks it (it seeks only to learn a size it was not given).
struct Sized(AudioBody);

impl tokio::io::AsyncRead for Sized {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl tokio::io::AsyncSeek for Sized {
    fn start_seek(self: std::pin::Pin<&mut Self>, _: SeekFrom) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "a streamed recording cannot seek",
        ))
    }

    fn poll_complete(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<u64>> {
        std::task::Poll::Ready(Ok(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_byte_ranges() {
        assert_eq!(parse_range(None, 100), RangeRequest::Whole);
        assert_eq!(
            parse_range(Some("bytes=0-"), 100),
            RangeRequest::Part { start: 0, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=10-19"), 100),
            RangeRequest::Part { start: 10, end: 19 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-500"), 100),
            RangeRequest::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            RangeRequest::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-500"), 100),
            RangeRequest::Part { start: 0, end: 99 }
        );
    }

    #[test]
    fn refuses_ranges_outside_the_file() {
        assert_eq!(parse_range(Some("bytes=100-"), 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-"), 0), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn ignores_ranges_it_does_not_serve() {
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=5-1"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=x-y"), 100), RangeRequest::Whole);
    }
}
