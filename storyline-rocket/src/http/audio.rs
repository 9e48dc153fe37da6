//! Serving stored audio with byte ranges: Safari will not play or seek audio without `206 Partial Content`.

use std::io::SeekFrom;
use std::path::Path;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use tokio::fs::File;
use tokio::io::AsyncSeekExt;

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

/// A stored audio file, answered whole or in part.
pub(crate) struct AudioFile {
    file: File,
    len: u64,
    content_type: ContentType,
    range: RangeRequest,
    download_name: Option<String>,
}

impl AudioFile {
    /// Opens `path` and decides, from the `Range` header, what to send.
    pub(crate) async fn open(path: &Path, content_type: ContentType, range: &RangeHeader) -> std::io::Result<Self> {
        let mut file = File::open(path).await?;
        let len = file.metadata().await?.len();
        let range = parse_range(range.0.as_deref(), len);
        if let RangeRequest::Part { start, .. } = range {
            file.seek(SeekFrom::Start(start)).await?;
        }
        Ok(Self {
            file,
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
        match self.range {
            RangeRequest::Whole => {
                res.sized_body(Some(self.len as usize), self.file);
            }
            RangeRequest::Unsatisfiable => {
                res.status(Status::RangeNotSatisfiable)
                    .raw_header("Content-Range", format!("bytes */{}", self.len));
            }
            RangeRequest::Part { start, end } => {
                let count = end - start + 1;
                res.status(Status::PartialContent)
                    .raw_header("Content-Range", format!("bytes {start}-{end}/{}", self.len))
                    .sized_body(
                        Some(count as usize),
                        Part {
                            file: self.file,
                            left: count,
                        },
                    );
            }
        }
        Ok(res.finalize())
    }
}

/// The rest of a file after a seek, cut to `left` bytes.
struct Part {
    file: File,
    left: u64,
}

impl tokio::io::AsyncRead for Part {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            return std::task::Poll::Ready(Ok(()));
        }
        let max = usize::try_from(self.left).unwrap_or(usize::MAX).min(buf.remaining());
        // `take` does not report back what it initialised: without this, `advance` below panics on a fresh buffer.
        buf.initialize_unfilled_to(max);
        let mut limited = buf.take(max);
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.file).poll_read(cx, &mut limited);
        let n = limited.filled().len();
        if let std::task::Poll::Ready(Ok(())) = &poll {
            // `take` shares the buffer; mark what was filled in the outer buffer.
            buf.advance(n);
            this.left -= n as u64;
        }
        poll
    }
}

impl tokio::io::AsyncSeek for Part {
    fn start_seek(mut self: std::pin::Pin<&mut Self>, position: SeekFrom) -> std::io::Result<()> {
        std::pin::Pin::new(&mut self.file).start_seek(position)
    }

    fn poll_complete(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<u64>> {
        std::pin::Pin::new(&mut self.file).poll_complete(cx)
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
