//! A fake Twilio that records when each call was asked for (and can refuse), with what the abuse and hostile-input
//! tests share: the server's settings for a test, an in-process client, and a real server on loopback.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::{launch, standalone};
use crate::settings;
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Shutdown, State, post, routes};

/// The Twilio account the tests configure: its auth token is known, so tests can sign webhooks (and look for leaks).
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The auth token of the account the tests configure.
pub const AUTH_TOKEN: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75e";
/// The account's number.
pub const FROM_NUMBER: &str = "+12015550199";

/// How the fake Twilio answers `Calls.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `201` with a call SID, unless the number is on the refuse list (`400`, error 21215).
    Accept,
    /// `401`, error 20003, as Twilio answers wrong credentials.
    Unauthorized,
    /// `502` with an HTML page that echoes the request's `Authorization` header, as a broken proxy might.
    EchoingProxy,
}

/// `GET Calls.json`: the fake places no call that rings, so it lists none (a call it answered `201` for never started).
#[rocket::get("/2010-04-01/Accounts/<account>/Calls.json?<To>")]
#[allow(non_snake_case)]
fn list_calls(account: &str, To: Option<&str>) -> (ContentType, String) {
    assert_eq!(account, ACCOUNT_SID, "calls are listed for the configured account");
    let _ = To;
    (
        ContentType::JSON,
        serde_json::json!({"calls": [], "page": 0, "page_size": 50, "next_page_uri": null}).to_string(),
    )
}

/// One `Calls.json` request the fake received.
#[derive(Debug, Clone)]
pub struct Placed {
    /// When the request came.
    pub at: Instant,
    /// The number it asked to call.
    pub to: String,
    /// The SID the call was given, when the fake accepted it.
    pub sid: Option<String>,
}

struct Shared {
    placed: Mutex<Vec<Placed>>,
    /// The `Authorization` header of every other request (media downloads), empty when none was sent.
    fetched: Mutex<Vec<(String, String)>>,
    refuse: Mutex<HashSet<String>>,
    mode: Mutex<Mode>,
    next_sid: Mutex<u64>,
}

/// A stand-in for Twilio's REST API that only places calls (which never ring anyone).
pub struct FakeTwilio {
    /// `http://127.0.0.1:PORT`: the Twilio API base URL to configure.
    pub base_url: String,
    shared: Arc<Shared>,
    shutdown: Shutdown,
}

struct Authorization(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Authorization {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Authorization(
            req.headers().get_one("Authorization").unwrap_or_default().to_owned(),
        ))
    }
}

#[post("/2010-04-01/Accounts/<account>/Calls.json", data = "<body>")]
fn create_call(
    shared: &State<Arc<Shared>>,
    account: &str,
    auth: Authorization,
    body: String,
) -> (Status, (ContentType, String)) {
    assert_eq!(account, ACCOUNT_SID, "calls are placed for the configured account");
    let to = serde_urlencoded::from_str::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "To")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let mode = *shared.mode.lock().expect("not poisoned");
    let refused = shared.refuse.lock().expect("not poisoned").contains(&to);
    // The SID is given under the same lock as the record, so the record says which call each request became.
    let sid = {
        let mut placed = shared.placed.lock().expect("not poisoned");
        let sid = (mode == Mode::Accept && !refused).then(|| {
            let mut next = shared.next_sid.lock().expect("not poisoned");
            *next += 1;
            format!("CA{:032x}", *next)
        });
        placed.push(Placed {
            at: Instant::now(),
            to: to.clone(),
            sid: sid.clone(),
        });
        sid
    };
    let json = |status: u16, code: u32, message: &str| {
        (
            Status::new(status),
            (
                ContentType::JSON,
                serde_json::json!({
                    "code": code,
                    "message": message,
                    "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                    "status": status,
                })
                .to_string(),
            ),
        )
    };
    match mode {
        Mode::Unauthorized => json(401, 20003, "Authenticate"),
        Mode::EchoingProxy => (
            Status::BadGateway,
            (
                ContentType::HTML,
                format!(
                    "<html><body>upstream failed for request with Authorization: {}</body></html>",
                    auth.0
                ),
            ),
        ),
        Mode::Accept => match sid {
            None => json(400, 21215, &format!("Account not authorized to call {to}.")),
            Some(sid) => (
                Status::Created,
                (
                    ContentType::JSON,
                    serde_json::json!({
                        "sid": sid,
                        "account_sid": ACCOUNT_SID,
                        "to": to,
                        "from": FROM_NUMBER,
                        "status": "queued",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                    })
                    .to_string(),
                ),
            ),
        },
    }
}

/// Anything else (media, say): remembered with the credentials it carried, and not found.
#[rocket::get("/<path..>")]
fn fetch(shared: &State<Arc<Shared>>, path: std::path::PathBuf, auth: Authorization) -> Status {
    shared
        .fetched
        .lock()
        .expect("not poisoned")
        .push((path.display().to_string(), auth.0));
    Status::NotFound
}

impl FakeTwilio {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeTwilio {
        let shared = Arc::new(Shared {
            placed: Mutex::new(Vec::new()),
            fetched: Mutex::new(Vec::new()),
            refuse: Mutex::new(HashSet::new()),
            mode: Mutex::new(Mode::Accept),
            next_sid: Mutex::new(0),
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("cli_colors", false))
            .merge(("shutdown.grace", 0))
            .merge(("shutdown.mercy", 0))
            .merge(("shutdown.ctrlc", false));
        let rocket = rocket::custom(figment)
            .manage(shared.clone())
            .mount("/", routes![create_call, list_calls, fetch])
            .attach(rocket::fairing::AdHoc::on_liftoff("fake twilio port", move |r| {
                Box::pin(async move {
                    if let Some(tx) = tx.lock().expect("not poisoned").take() {
                        let _ = tx.send(r.config().port);
                    }
                })
            }));
        let ignited = rocket.ignite().await.expect("the fake Twilio ignites");
        let shutdown = ignited.shutdown();
        tokio::spawn(ignited.launch());
        let port = rx.await.expect("the fake Twilio lifts off");
        FakeTwilio {
            base_url: format!("http://127.0.0.1:{port}"),
            shared,
            shutdown,
        }
    }

    /// Every call asked for so far, in order of arrival.
    pub fn placed(&self) -> Vec<Placed> {
        self.shared.placed.lock().expect("not poisoned").clone()
    }

    /// Every other request so far: its path and the `Authorization` header it carried ("" for none).
    pub fn fetched(&self) -> Vec<(String, String)> {
        self.shared.fetched.lock().expect("not poisoned").clone()
    }

    /// Answers calls to this number (E.164) with Twilio's "no permission for that country" error.
    pub fn refuse(&self, e164: &str) {
        self.shared.refuse.lock().expect("not poisoned").insert(e164.to_owned());
    }

    /// How `Calls.json` answers from now on.
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("not poisoned") = mode;
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

/// The server's settings for a test: its own data directory and port, quiet, and Twilio credentials for `twilio`
/// (or the embedded sandbox when `None`), whatever the environment says. Merge more settings on top.
pub fn figment(data_dir: &Path, port: u16, twilio: Option<&FakeTwilio>) -> Figment {
    let mut figment = settings::isolated(data_dir, port)
        .merge(("storyline.max_story_seconds", 10))
        .merge(("storyline.ring_seconds", 10));
    // The documented defaults, whatever the environment says; tests change them on top.
    figment = figment
        .merge(("storyline.calls_per_number_per_hour", 5))
        .merge(("storyline.calls_per_number_per_day", 10))
        .merge(("storyline.unanswered_in_a_row", 2))
        .merge(("storyline.calls_per_address_per_hour", 20))
        .merge(("storyline.service_calls_per_hour", 500))
        .merge(("storyline.service_calls_per_day", 2000))
        .merge(("storyline.service_minutes_per_hour", 5000))
        .merge(("storyline.service_minutes_per_day", 20000))
        .merge(("storyline.calls_per_second", 1.0))
        .merge(("storyline.allowed_countries", "US,CA"));
    if let Some(fake) = twilio {
        figment = figment
            .merge(("storyline.twilio_account_sid", ACCOUNT_SID))
            .merge(("storyline.twilio_auth_token", AUTH_TOKEN))
            .merge(("storyline.twilio_from_number", FROM_NUMBER))
            .merge(("storyline.twilio_api_base_url", &fake.base_url))
            // Background timings as fast as the sandbox's would be: a fake Twilio on loopback allows it.
            .merge(("storyline.test_time_scale", 20.0))
            .merge(("storyline.public_url", format!("http://127.0.0.1:{port}")));
    }
    figment
}

/// The server in process, driven without a socket.
pub async fn local(figment: Figment) -> Client {
    Client::untracked(standalone(figment)).await.expect("the server starts")
}

/// The data directory of an in-process server.
pub fn data_dir(client: &Client) -> std::path::PathBuf {
    client
        .rocket()
        .figment()
        .extract_inner("storyline.data_dir")
        .expect("the server has a data directory")
}

/// The public URL an in-process server checks signatures against: its setting, or Storyline's default (an in-process
/// client never lifts off, so the real port never replaces it).
pub fn public_url(client: &Client) -> String {
    client
        .rocket()
        .figment()
        .extract_inner::<String>("storyline.public_url")
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| "http://127.0.0.1:8000".into())
}

/// How many recordings an in-process server holds.
pub async fn recordings_count(client: &Client) -> i64 {
    crate::db::recordings_count(&data_dir(client)).await
}

/// A recording of an in-process server, as stored.
pub async fn stored(client: &Client, id: &str) -> Option<crate::db::Recording> {
    crate::db::recording(&data_dir(client), id).await
}

/// One in-process server against a fake Twilio, with its own runtime, shared by every case of a property test:
/// starting one per case would make the suite slow. Keep it in a `static OnceLock`.
pub struct SharedServer {
    /// The runtime the cases run on.
    pub rt: tokio::runtime::Runtime,
    /// The server, without a socket.
    pub client: Client,
    /// The public URL its signatures are checked against.
    pub public_url: String,
    _fake: FakeTwilio,
    _dir: tempfile::TempDir,
}

impl SharedServer {
    /// Starts it with the test settings of [`figment`], calls paced fast, and `settings` merged on top.
    pub fn start(settings: impl FnOnce(Figment) -> Figment) -> SharedServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a data directory");
        let (client, fake) = rt.block_on(async {
            let fake = FakeTwilio::start().await;
            let base = figment(dir.path(), crate::ports::free_port(), Some(&fake))
                .merge(("storyline.calls_per_second", 1000.0));
            (local(settings(base)).await, fake)
        });
        let public_url = public_url(&client);
        SharedServer {
            rt,
            client,
            public_url,
            _fake: fake,
            _dir: dir,
        }
    }
}

/// A form post as a browser (or a script) sends it: the status and the body.
pub async fn post_form(
    client: &Client,
    path: &str,
    body: impl Into<Vec<u8>>,
    headers: &[(&'static str, &str)],
    remote: Option<SocketAddr>,
) -> (Status, String) {
    let mut req = client.post(path).header(ContentType::Form).body(body.into());
    for (name, value) in headers {
        req = req.header(Header::new(*name, value.to_string()));
    }
    if let Some(remote) = remote {
        req = req.remote(remote);
    }
    let res = req.dispatch().await;
    let status = res.status();
    (status, res.into_string().await.unwrap_or_default())
}

/// Submits the form with this number and returns the status and the `Location` (for a 303) or the body.
pub async fn submit(client: &Client, typed: &str, remote: Option<SocketAddr>) -> (Status, String) {
    let body = serde_urlencoded::to_string([("tel", typed)]).expect("a form");
    let mut req = client.post("/").header(ContentType::Form).body(body);
    if let Some(remote) = remote {
        req = req.remote(remote);
    }
    let res = req.dispatch().await;
    let status = res.status();
    if status == Status::SeeOther {
        let location = res.headers().get_one("Location").unwrap_or_default().to_owned();
        (status, location)
    } else {
        (status, res.into_string().await.unwrap_or_default())
    }
}

/// Text as maud writes it into a page.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Polls a recording's status JSON until `done` says so, or fails after `within`.
pub async fn wait_status(client: &Client, id: &str, within: Duration, done: impl Fn(&str) -> bool) -> String {
    let waiter = crate::wait::Waiter::new(within, Duration::from_millis(50));
    loop {
        let res = client.get(format!("/recording/{id}/status")).dispatch().await;
        let json: serde_json::Value = res.into_json().await.expect("status JSON");
        let status = json["status"].as_str().unwrap_or_default().to_owned();
        if done(&status) {
            return status;
        }
        assert!(waiter.again().await, "recording {id} stayed {status}");
    }
}

/// A server listening on loopback, as a browser and Twilio reach it.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    shutdown: Shutdown,
}

impl Running {
    /// Launches the server on the figment's port and returns once it listens.
    pub async fn start(figment: Figment) -> Running {
        let launched = launch(standalone(figment)).await.expect("the server starts");
        Running {
            base: format!("http://127.0.0.1:{}", launched.port),
            shutdown: launched.shutdown,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}
