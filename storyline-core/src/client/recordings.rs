//! Fetching, listing and deleting recordings.

use bytes::Bytes;
use http::Method;

use super::retry::RequestKind;
use super::{Client, Error, Recording, RecordingPage};
use crate::{CallSid, RecordingSid};

impl Client {
    /// `GET …/Recordings/{RecordingSid}.json`.
    pub fn fetch_recording(&self, sid: &RecordingSid) -> FetchRecording {
        FetchRecording {
            client: self.clone(),
            sid: sid.clone(),
        }
    }

    /// `GET …/Recordings.json?CallSid={CallSid}`: the first page of a call's recordings.
    pub fn list_recordings(&self, call: &CallSid) -> ListRecordings {
        ListRecordings {
            client: self.clone(),
            call: call.clone(),
            page_size: None,
        }
    }

    /// `DELETE …/Recordings/{RecordingSid}.json`; Twilio answers `204` with an empty body.
    pub fn delete_recording(&self, sid: &RecordingSid) -> DeleteRecording {
        DeleteRecording {
            client: self.clone(),
            sid: sid.clone(),
        }
    }

    fn recording_url(&self, sid: &RecordingSid) -> String {
        self.account_url(&format!("Recordings/{sid}.json"))
    }
}

/// `GET …/Recordings/{RecordingSid}.json`. Build it with [`Client::fetch_recording`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct FetchRecording {
    client: Client,
    sid: RecordingSid,
}

impl FetchRecording {
    /// The HTTP request [`send`](FetchRecording::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        self.client
            .api_request(Method::GET, &self.client.recording_url(&self.sid), None)
    }

    /// Fetches the recording's metadata.
    pub async fn send(self) -> Result<Recording, Error> {
        let request = self.build_request()?;
        self.client.send_json(request, RequestKind::Idempotent).await
    }
}

/// `GET …/Recordings.json?CallSid=…`. Build it with [`Client::list_recordings`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListRecordings {
    client: Client,
    call: CallSid,
    page_size: Option<u32>,
}

impl ListRecordings {
    /// `PageSize`: how many recordings the page holds (Twilio: default 50, 1 to 1000).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The HTTP request [`send`](ListRecordings::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        let mut query = vec![("CallSid", self.call.to_string())];
        if let Some(size) = self.page_size {
            query.push(("PageSize", size.to_string()));
        }
        let query = serde_urlencoded::to_string(query).map_err(|e| Error::InvalidRequest {
            reason: format!("cannot encode the query: {e}"),
        })?;
        let url = self.client.account_url(&format!("Recordings.json?{query}"));
        self.client.api_request(Method::GET, &url, None)
    }

    /// Fetches the first page.
    pub async fn send(self) -> Result<RecordingPage, Error> {
        let request = self.build_request()?;
        self.client.send_json(request, RequestKind::Idempotent).await
    }
}

/// `DELETE …/Recordings/{RecordingSid}.json`. Build it with [`Client::delete_recording`].
///
/// Deleting is idempotent, so it is retried; a retry after a delete that did happen answers 404.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteRecording {
    client: Client,
    sid: RecordingSid,
}

impl DeleteRecording {
    /// The HTTP request [`send`](DeleteRecording::send) makes, without sending it.
    pub fn build_request(&self) -> Result<http::Request<Bytes>, Error> {
        self.client
            .api_request(Method::DELETE, &self.client.recording_url(&self.sid), None)
    }

    /// Deletes the recording and its media. The empty `204` body is not parsed.
    pub async fn send(self) -> Result<(), Error> {
        let request = self.build_request()?;
        self.client.send_no_content(request, RequestKind::Idempotent).await
    }
}
