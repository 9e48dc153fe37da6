//! A scripted HTTP server on 127.0.0.1 for the client tests: it answers with the replies it was
//! given, in order, and records every request it received.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use storyline_core::AccountSid;
use storyline_core::client::Client;
use tokio::net::TcpListener;

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "test-auth-token";
pub const CALL: &str = "CA5ef8732a3c49700934481addd5ce1659";
pub const RECORDING: &str = "RE557ce644e5ab84fa21cc21112e22c485";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/client/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// A client for `server` with tiny backoffs so retry tests stay fast.
pub fn client_for(server: &TestServer) -> Client {
    builder_for(server).build().unwrap()
}

pub fn builder_for(server: &TestServer) -> storyline_core::client::ClientBuilder {
    Client::builder()
        .base_url(&server.url)
        .account_sid(ACCOUNT.parse::<AccountSid>().unwrap())
        .auth_token(TOKEN)
        .timeout(Duration::from_secs(5))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// The path of an account resource, as the server sees it.
pub fn account_path(rest: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/{rest}")
}

enum ReplyBody {
    Full(Bytes),
    Chunks(Vec<Bytes>, Duration),
    Hang,
}

/// One scripted answer.
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: ReplyBody,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::text(status, "application/json; charset=utf-8", body)
    }

    pub fn fixture(status: u16, name: &str) -> Self {
        Self::json(status, fixture(name))
    }

    pub fn text(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self::bytes(status, content_type, body.into())
    }

    pub fn bytes(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: ReplyBody::Full(body.into()),
        }
    }

    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Full(Bytes::new()),
        }
    }

    /// Sends the headers, then each chunk after `gap`.
    pub fn chunks(status: u16, content_type: &str, chunks: &[&[u8]], gap: Duration) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: ReplyBody::Chunks(chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect(), gap),
        }
    }

    /// Reads the request and never answers.
    pub fn hang() -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Hang,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The form body as ordered pairs, repeated keys kept.
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).unwrap()
    }
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
}

pub struct TestServer {
    pub url: String,
    state: Arc<State>,
}

impl TestServer {
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        state.script.lock().unwrap().extend(replies);
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer { url, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

async fn answer(
    state: Arc<State>,
    req: http::Request<Incoming>,
) -> Result<http::Response<BoxBody<Bytes, Infallible>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    state.received.lock().unwrap().push(Received {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        headers: parts.headers,
        body,
    });
    let reply = state.script.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        let body = Full::new(Bytes::from_static(b"script exhausted")).boxed();
        return Ok(http::Response::builder().status(599).body(body).unwrap());
    };
    let body = match reply.body {
        ReplyBody::Full(bytes) => Full::new(bytes).boxed(),
        ReplyBody::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Full::new(Bytes::new()).boxed()
        }
        ReplyBody::Chunks(chunks, gap) => {
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            tokio::spawn(async move {
                for chunk in chunks {
                    tokio::time::sleep(gap).await;
                    if tx.send(chunk).await.is_err() {
                        return;
                    }
                }
            });
            ChunkBody(rx).boxed()
        }
    };
    let mut response = http::Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    Ok(response.body(body).unwrap())
}

/// A body whose chunks arrive one by one, as the sender produces them.
struct ChunkBody(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChunkBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}
