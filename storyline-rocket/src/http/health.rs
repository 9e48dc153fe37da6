//! What a load balancer asks: `/healthz` (the process is up and answering) and `/readyz` (it can serve stories: the
//! database and the audio store answer).

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, routes};

use crate::app::App;

pub(crate) fn routes() -> Vec<Route> {
    routes![healthz, readyz]
}

#[get("/healthz")]
fn healthz() -> &'static str {
    "ok\n"
}

#[get("/readyz")]
async fn readyz(app: &State<App>) -> (Status, Json<Value>) {
    let check = std::time::Duration::from_secs(3);
    let database = match tokio::time::timeout(check, app.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".to_owned()),
    };
    let audio = match tokio::time::timeout(check, app.audio.check()).await {
        Ok(r) => r,
        Err(_) => Err("no answer within 3 s".to_owned()),
    };
    let ready = database.is_ok() && audio.is_ok();
    if !ready {
        tracing::warn!(?database, ?audio, "not ready");
    }
    let word = |r: &Result<(), String>| if r.is_ok() { "ok" } else { "unavailable" };
    (
        if ready { Status::Ok } else { Status::ServiceUnavailable },
        Json(json!({
            "ready": ready,
            "database": word(&database),
            "audio_store": word(&audio),
        })),
    )
}
