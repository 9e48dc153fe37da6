//! A load balancer on loopback, as production puts in front of many instances: every request goes to the next
//! instance in turn (no sticky sessions), and one whose port refuses the connection is passed over, as a balancer's
//! health check would.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The balancer and the instances behind it.
#[derive(Clone)]
pub struct Balancer {
    /// The port it listens on: the cluster's public URL.
    pub port: u16,
    inner: Arc<Inner>,
}

struct Inner {
    backends: Mutex<Vec<u16>>,
    next: AtomicUsize,
    /// Requests answered by each backend port.
    served: Mutex<Vec<(u16, String)>>,
    client: reqwest::Client,
}

impl Balancer {
    /// Starts a balancer over the instances on `backends`.
    pub async fn start(backends: Vec<u16>) -> Balancer {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let inner = Arc::new(Inner {
            backends: Mutex::new(backends),
            next: AtomicUsize::new(0),
            served: Mutex::new(Vec::new()),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
        });
        let serving = inner.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let inner = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(inner.forward(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Balancer { port, inner }
    }

    /// Puts an instance behind the balancer.
    pub fn add(&self, port: u16) {
        self.inner.backends.lock().expect("not poisoned").push(port);
    }

    /// The backend port that answered each request so far, with the request's path.
    pub fn served(&self) -> Vec<(u16, String)> {
        self.inner.served.lock().expect("not poisoned").clone()
    }
}

impl Inner {
    async fn forward(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return answer(StatusCode::BAD_REQUEST, "unreadable body");
        };
        let backends = self.backends.lock().expect("not poisoned").clone();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        for _ in 0..backends.len() {
            let port = backends[self.next.fetch_add(1, Ordering::Relaxed) % backends.len()];
            let mut out = self
                .client
                .request(parts.method.clone(), format!("http://127.0.0.1:{port}{path}"))
                .body(body.clone());
            // The `Host` the client sent goes on, as a real balancer passes it: it is the public URL's.
            for (name, value) in &parts.headers {
                if name != hyper::header::CONTENT_LENGTH {
                    out = out.header(name, value);
                }
            }
            match out.send().await {
                Ok(res) => {
                    self.served.lock().expect("not poisoned").push((port, path.clone()));
                    let mut back = Response::builder().status(res.status());
                    for (name, value) in res.headers() {
                        if name != hyper::header::CONTENT_LENGTH && name != hyper::header::TRANSFER_ENCODING {
                            back = back.header(name, value);
                        }
                    }
                    let bytes = res.bytes().await.unwrap_or_default();
                    return back
                        .body(Full::new(bytes))
                        .unwrap_or_else(|_| answer(StatusCode::BAD_GATEWAY, ""));
                }
                // That instance is down: the next one answers, as behind a real balancer.
                Err(e) if e.is_connect() => continue,
                Err(_) => return answer(StatusCode::BAD_GATEWAY, "the instance did not answer"),
            }
        }
        answer(StatusCode::BAD_GATEWAY, "no instance is up")
    }
}

fn answer(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *res.status_mut() = status;
    res
}
