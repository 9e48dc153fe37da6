//! A host service that receives Storyline's events: it keeps every delivery (signature header and raw body) and can
//! be told to answer 500 to the next few, as a host that is down would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Shutdown, State, post, routes};

use crate::server::launch;

/// One delivery as the host received it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The `Storyline-Signature` header.
    pub signature: Option<String>,
    /// The raw body.
    pub body: String,
    /// What the host answered.
    pub answered: u16,
}

impl Delivery {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("an event is JSON")
    }
}

#[derive(Default)]
struct Shared {
    deliveries: Mutex<Vec<Delivery>>,
    fail_next: Mutex<u32>,
}

/// The host service's events endpoint, at `url`.
pub struct EventSink {
    /// Where to point `STORYLINE_EVENTS_URL`.
    pub url: String,
    shared: Arc<Shared>,
    shutdown: Shutdown,
}

struct Signature(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Signature {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Signature(
            req.headers().get_one("Storyline-Signature").map(str::to_owned),
        ))
    }
}

#[post("/events", data = "<body>")]
async fn receive(shared: &State<Arc<Shared>>, signature: Signature, body: Data<'_>) -> Status {
    let body = body
        .open(1.mebibytes())
        .into_string()
        .await
        .map(|s| s.into_inner())
        .unwrap_or_default();
    let answered = {
        let mut fail = shared.fail_next.lock().expect("not poisoned");
        if *fail > 0 {
            *fail -= 1;
            500
        } else {
            200
        }
    };
    shared.deliveries.lock().expect("not poisoned").push(Delivery {
        signature: signature.0,
        body,
        answered,
    });
    Status::new(answered)
}

impl EventSink {
    /// Starts the endpoint on a free port.
    pub async fn start() -> EventSink {
        let shared = Arc::new(Shared::default());
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("shutdown.grace", 0))
            .merge(("shutdown.mercy", 0))
            .merge(("shutdown.ctrlc", false));
        let rocket = rocket::custom(figment)
            .manage(shared.clone())
            .mount("/", routes![receive]);
        let launched = launch(rocket).await.expect("the event sink starts");
        EventSink {
            url: format!("http://127.0.0.1:{}/events", launched.port),
            shared,
            shutdown: launched.shutdown,
        }
    }

    /// The next `n` deliveries are answered 500.
    pub fn fail_next(&self, n: u32) {
        *self.shared.fail_next.lock().expect("not poisoned") = n;
    }

    /// Every delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().expect("not poisoned").clone()
    }

    /// Waits until a delivery that the host answered 2xx carries an event for `story_id`; fails after `within`.
    pub async fn wait_for_story(&self, story_id: &str, within: Duration) -> Delivery {
        let waiter = crate::wait::Waiter::new(within, Duration::from_millis(50));
        loop {
            let taken = self
                .deliveries()
                .into_iter()
                .find(|d| d.answered == 200 && d.json()["data"]["id"] == story_id);
            if let Some(d) = taken {
                return d;
            }
            assert!(
                waiter.again().await,
                "no event for {story_id} within {within:?}; deliveries: {:?}",
                self.deliveries()
            );
        }
    }
}

impl Drop for EventSink {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}
