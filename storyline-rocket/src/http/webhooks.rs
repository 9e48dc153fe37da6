//! Twilio's webhooks: signed, idempotent, durable before they answer, and never waiting on an outbound request.

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::Responder;
use rocket::{Route, State, post, routes};
use storyline_twiml::Response as Twiml;
use tracing::Instrument as _;

use super::guards::{Id, Signed};
use super::status_of;
use crate::app::App;
use crate::story::{self, Hook};

pub(super) fn routes() -> Vec<Route> {
    routes![call_started, call_status, recording_status_updated, recorded]
}

/// TwiML, as `text/xml`.
pub(crate) struct TwimlResponse(Twiml);

impl<'r> Responder<'r, 'static> for TwimlResponse {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build_from(self.0.render().respond_to(req)?)
            .header(ContentType::XML)
            .ok()
    }
}

async fn handle(app: &App, id: Id, hook: Hook, form: Signed) -> Result<Twiml, Status> {
    let span = id.span(match hook {
        Hook::CallStarted => "call_started",
        Hook::Recorded => "recorded",
        Hook::CallStatus => "call_status",
        Hook::RecordingStatus => "recording_status_updated",
    });
    story::webhook(app, &id.0, hook, &form.0)
        .instrument(span)
        .await
        .map_err(|e| status_of(&e))
}

/// The call was answered: Twilio asks what to do. Greeting, then `<Record>`.
#[post("/recording/<id>/call_started", data = "<form>")]
async fn call_started(app: &State<App>, id: Id, form: Signed) -> Result<TwimlResponse, Status> {
    handle(app, id, Hook::CallStarted, form).await.map(TwimlResponse)
}

/// `<Record action>`: the recording stopped (finish key, silence, maximum length, or hang-up).
#[post("/recording/<id>/recorded", data = "<form>")]
async fn recorded(app: &State<App>, id: Id, form: Signed) -> Result<TwimlResponse, Status> {
    handle(app, id, Hook::Recorded, form).await.map(TwimlResponse)
}

/// Call progress: initiated, ringing, answered, completed, busy, no-answer, failed, canceled.
#[post("/recording/<id>/call_status", data = "<form>")]
async fn call_status(app: &State<App>, id: Id, form: Signed) -> Result<Status, Status> {
    handle(app, id, Hook::CallStatus, form).await.map(|_| Status::NoContent)
}

/// Recording progress: in-progress, completed (the audio is ready to copy), absent, failed.
#[post("/recording/<id>/recording_status_updated", data = "<form>")]
async fn recording_status_updated(app: &State<App>, id: Id, form: Signed) -> Result<Status, Status> {
    handle(app, id, Hook::RecordingStatus, form)
        .await
        .map(|_| Status::NoContent)
}
