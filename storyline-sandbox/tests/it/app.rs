//! What the tests need around a sandbox: an application that answers its webhooks, and a REST client for it.
#![allow(dead_code)] // Shared by the test modules; not every one uses every helper.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocket::http::{ContentType, Status};
use rocket::{State, post, routes};
use serde_json::Value;
use storyline_sandbox::{Faults, Sandbox, SandboxConfig};

/// A sandbox running `speed` times faster than real time with these faults.
pub async fn sandbox(speed: f64, faults: &str) -> Sandbox {
    Sandbox::start(SandboxConfig {
        speed,
        faults: Faults::parse(faults).expect("valid faults"),
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

/// One webhook request the application received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl Hit {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

struct Pages {
    /// Path → (how long the application takes, the TwiML it answers).
    answers: HashMap<String, (Duration, String)>,
    hits: Mutex<Vec<Hit>>,
}

#[post("/<path..>", data = "<body>")]
async fn hook(path: PathBuf, body: String, pages: &State<Arc<Pages>>) -> (Status, (ContentType, String)) {
    let path = format!("/{}", path.display());
    let params = serde_urlencoded::from_str(&body).unwrap_or_default();
    pages.hits.lock().unwrap().push(Hit {
        path: path.clone(),
        params,
    });
    match pages.answers.get(&path) {
        Some((delay, twiml)) => {
            tokio::time::sleep(*delay).await;
            (Status::Ok, (ContentType::XML, twiml.clone()))
        }
        None => (Status::NoContent, (ContentType::Plain, String::new())),
    }
}

/// The application the sandbox calls: `POST /path` answers the TwiML given for it (after its delay); anything else,
/// status callbacks among them, `204`.
pub struct App {
    pub base: String,
    pages: Arc<Pages>,
}

impl App {
    pub async fn start(answers: &[(&str, Duration, &str)]) -> App {
        let pages = Arc::new(Pages {
            answers: answers
                .iter()
                .map(|(p, d, t)| ((*p).to_owned(), (*d, (*t).to_owned())))
                .collect(),
            hits: Mutex::default(),
        });
        let figment = rocket::Config::figment()
            .merge(("port", 0))
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("shutdown.ctrlc", false));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let rocket = rocket::custom(figment)
            .manage(pages.clone())
            .mount("/", routes![hook])
            .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
                Box::pin(async move {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(r.config().port);
                    }
                })
            }));
        tokio::spawn(async move { rocket.launch().await });
        let port = rx.await.expect("the application lifts off");
        App {
            base: format!("http://127.0.0.1:{port}"),
            pages,
        }
    }

    /// The requests made to `path` so far.
    pub fn hits(&self, path: &str) -> Vec<Hit> {
        self.pages
            .hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }
}

/// Twilio's REST API of a sandbox, as a client calls it.
pub struct Api<'a> {
    pub sandbox: &'a Sandbox,
    pub http: reqwest::Client,
}

impl<'a> Api<'a> {
    pub fn new(sandbox: &'a Sandbox) -> Self {
        Api {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    fn account(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}",
            self.sandbox.base_url, self.sandbox.account_sid
        )
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.basic_auth(
            self.sandbox.account_sid.as_str(),
            Some(self.sandbox.auth_token.expose_secret()),
        )
    }

    /// `POST Calls.json` to `to`, the TwiML at `app/twiml`, status callbacks to `app/status` for every event.
    pub async fn place(&self, app: &App, to: &str, extra: &[(&str, &str)]) -> reqwest::Result<reqwest::Response> {
        let twiml = format!("{}/twiml", app.base);
        let status = format!("{}/status", app.base);
        let mut form = vec![
            ("To", to),
            ("From", self.sandbox.from_number.as_str()),
            ("Url", twiml.as_str()),
            ("StatusCallback", status.as_str()),
            ("StatusCallbackEvent", "initiated ringing answered completed"),
        ];
        form.extend_from_slice(extra);
        self.auth(self.http.post(format!("{}/Calls.json", self.account())))
            .form(&form)
            .send()
            .await
    }

    /// Places a call that must be accepted and returns its SID.
    pub async fn placed(&self, app: &App, to: &str, extra: &[(&str, &str)]) -> String {
        let res = self.place(app, to, extra).await.expect("the sandbox answers");
        assert_eq!(res.status(), 201);
        let call: Value = res.json().await.unwrap();
        call["sid"].as_str().unwrap().to_owned()
    }

    /// `GET` a path under the account, with its status and JSON body.
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let res = self
            .auth(self.http.get(format!("{}{path_and_query}", self.account())))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    /// `POST` a form to a path under the account, with the answer's status and JSON body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .auth(self.http.post(format!("{}{path}", self.account())))
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    /// The call's `status` once it is one of `statuses`.
    pub async fn status_once(&self, sid: &str, statuses: &[&str], within: Duration) -> String {
        let path = format!("/Calls/{sid}.json");
        let status = wait_for(within, || async {
            let (_, call) = self.get(&path).await;
            call["status"]
                .as_str()
                .filter(|s| statuses.contains(s))
                .map(str::to_owned)
        })
        .await;
        status.unwrap_or_else(|| panic!("call {sid} did not reach {statuses:?} within {within:?}"))
    }
}

/// Polls `check` until it gives a value, for at most `within`.
pub async fn wait_for<T, F, Fut>(within: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() > until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
