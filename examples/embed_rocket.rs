//! A host service with its own home page that mounts Storyline at `/stories`, starts stories through Storyline's API
//! and receives its signed events.
//!
//! ```sh
//! cargo run --example embed_rocket            # http://127.0.0.1:8000: the host; /stories: Storyline (sandbox mode)
//! ROCKET_PORT=9000 cargo run --example embed_rocket
//! ```
//! Rocket's settings (`ROCKET_PORT`, `Rocket.toml`, …) and Storyline's (`STORYLINE_*`, `TWILIO_*`, read under the
//! figment's `storyline` key) apply as usual. Without `STORYLINE_API_KEY` and `STORYLINE_EVENTS_URL` the example
//! sets its own, so the API and the events work out of the box.

use std::sync::Mutex;

use rocket::data::{Data, ToByteUnit};
use rocket::form::Form;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::{FromForm, State, get, post, routes};
use storyline_core::events;
use storyline_rocket::{Settings, Storyline};

/// What the host needs to talk to its Storyline: where the API is, its key, and the events' secret.
struct Host {
    api: String,
    api_key: String,
    events_secret: String,
    /// The events received, newest first.
    received: Mutex<Vec<String>>,
}

#[get("/")]
fn home(host: &State<Host>) -> RawHtml<String> {
    let events: String = host
        .received
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|e| format!("<li><code>{}</code></li>", escape(e)))
        .collect();
    RawHtml(format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Family Stories (a host service)</title>\
         <h1>Family Stories</h1>\
         <p>This is the host service's own page. Storyline lives under <a href=\"/stories\">/stories</a>.</p>\
         <h2>Start a story for a storyteller, through Storyline's API</h2>\
         <form method=post action=/start>\
         <p><label>Phone <input name=phone value=\"201-555-0100\"></label></p>\
         <p><label>Question <input name=prompt size=40 value=\"What was your first job?\"></label></p>\
         <p><button>Call them</button></p></form>\
         <h2>Events Storyline sent (signatures verified)</h2><ul>{events}</ul>"
    ))
}

#[derive(FromForm)]
struct Start {
    phone: String,
    prompt: String,
}

/// Starts a story from code, as any Storyworth service would: `POST {base}/api/v1/stories` with the bearer key.
#[post("/start", data = "<form>")]
async fn start(host: &State<Host>, form: Form<Start>) -> Result<Redirect, (Status, String)> {
    let body = serde_json::json!({"phone": form.phone, "prompt": form.prompt, "reference": "example-storyteller-1"});
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/stories", host.api))
        .bearer_auth(&host.api_key)
        .json(&body)
        .send()
        .await
        .map_err(|e| (Status::BadGateway, e.to_string()))?;
    let status = answer.status();
    let story: serde_json::Value = answer.json().await.map_err(|e| (Status::BadGateway, e.to_string()))?;
    if !status.is_success() {
        return Err((Status::new(status.as_u16()), story["error"]["message"].to_string()));
    }
    // The story's page, where the storyteller (or the host's staff) follows the call.
    Ok(Redirect::to(
        story["page_url"].as_str().unwrap_or("/stories").to_owned(),
    ))
}

/// The `Storyline-Signature` header.
struct Signature(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Signature {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Signature(req.headers().get_one(events::HEADER).map(str::to_owned)))
    }
}

/// Storyline's events: verified with one call, then acted on.
#[post("/storyline-events", data = "<body>")]
async fn receive(host: &State<Host>, signature: Signature, body: Data<'_>) -> Status {
    let Ok(body) = body.open(1.mebibytes()).into_bytes().await else {
        return Status::BadRequest;
    };
    let header = signature.0.unwrap_or_default();
    if let Err(e) = events::verify(&host.events_secret, &header, &body, events::DEFAULT_TOLERANCE) {
        eprintln!("refused an event: {e}");
        return Status::BadRequest;
    }
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    // A story's id is the key to it: the host keeps it with its storyteller, and logs its own reference instead.
    let line = format!(
        "{} {}: the story of {} is {}",
        event["id"].as_str().unwrap_or("?"),
        event["type"].as_str().unwrap_or("?"),
        event["data"]["reference"].as_str().unwrap_or("?"),
        event["data"]["status"].as_str().unwrap_or("?"),
    );
    println!("event: {line}");
    host.received.lock().expect("not poisoned").insert(0, line);
    Status::NoContent
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[rocket::launch]
fn rocket() -> _ {
    storyline_rocket::init_logging();
    let mut figment = rocket::Config::figment().merge(Settings::from_env());
    if std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
        // Rocket's request log prints paths, and Storyline's name recordings.
        figment = figment.merge(("log_level", rocket::config::LogLevel::Critical));
    }
    let port: u16 = figment.extract_inner("port").unwrap_or(8000);
    let local = format!("http://127.0.0.1:{port}");
    // The example's own API key and events endpoint, unless the environment names others.
    let figment = figment
        .join(("storyline.api_key", "sk_example_only_on_localhost"))
        .join(("storyline.events_url", format!("{local}/storyline-events")))
        .join(("storyline.events_secret", "whsec_example_only_on_localhost"));
    let host = Host {
        api: format!("{local}/stories"),
        api_key: figment.extract_inner("storyline.api_key").unwrap_or_default(),
        events_secret: figment.extract_inner("storyline.events_secret").unwrap_or_default(),
        received: Mutex::new(Vec::new()),
    };
    rocket::custom(figment)
        .manage(host)
        .mount("/", routes![home, start, receive])
        .attach(Storyline::mount_at("/stories"))
}
