//! Twilio's webhooks: signed, idempotent, durable before they answer, and never waiting on an outbound request.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::Responder;
use rocket::{Route, State, post, routes};
use storyline_twiml::Response as Twiml;

use super::Id;
use crate::App;
use crate::flow::{self, Hook};

pub fn routes() -> Vec<Route> {
    routes![call_started, call_status, recording_status_updated, recorded]
}

/// A webhook's form parameters, accepted only with a valid `X-Twilio-Signature` for the configured public URL.
pub struct Signed(pub Vec<(String, String)>);

/// Twilio's webhook bodies are small; anything larger is not Twilio.
const MAX_BODY: u64 = 64 * 1024;

#[rocket::async_trait]
impl<'r> FromData<'r> for Signed {
    type Error = &'static str;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let Some(app) = req.rocket().state::<App>() else {
            return Outcome::Error((Status::InternalServerError, "no app"));
        };
        let body = match data.open(MAX_BODY.bytes()).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => return Outcome::Error((Status::PayloadTooLarge, "body too large")),
            Err(_) => return Outcome::Error((Status::BadRequest, "unreadable body")),
        };
        let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&body) else {
            return Outcome::Error((Status::BadRequest, "not a form"));
        };
        // The URL Twilio signed is the one we gave it: the configured public base, never the host or scheme we see.
        let url = format!("{}{}", app.public_url(), req.uri());
        let signature = req.headers().get_one("X-Twilio-Signature");
        let settings = req.headers().get_one("X-Twilio-Webhooks-Signature-Settings");
        match app.validator.validate_form(&url, &pairs, signature, settings) {
            Ok(()) => Outcome::Success(Signed(pairs)),
            Err(e) => {
                tracing::warn!(%url, "refused a webhook: {e}");
                Outcome::Error((Status::Forbidden, "bad signature"))
            }
        }
    }
}

/// TwiML, as `text/xml`.
pub struct TwimlResponse(Twiml);

impl<'r> Responder<'r, 'static> for TwimlResponse {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build_from(self.0.to_string().respond_to(req)?)
            .header(ContentType::XML)
            .ok()
    }
}

type HookResult<T> = Result<T, Status>;

/// The call was answered: Twilio asks what to do. Greeting, then `<Record>`.
#[post("/recording/<id>/call_started", data = "<form>")]
async fn call_started(app: &State<App>, id: Id, form: Signed) -> HookResult<TwimlResponse> {
    let doc = flow::webhook(app, &id.0, Hook::CallStarted, &form.0).await?;
    Ok(TwimlResponse(doc))
}

/// `<Record action>`: the recording stopped (finish key, silence, maximum length, or hang-up).
#[post("/recording/<id>/recorded", data = "<form>")]
async fn recorded(app: &State<App>, id: Id, form: Signed) -> HookResult<TwimlResponse> {
    let doc = flow::webhook(app, &id.0, Hook::Recorded, &form.0).await?;
    Ok(TwimlResponse(doc))
}

/// Call progress: initiated, ringing, answered, completed, busy, no-answer, failed, canceled.
#[post("/recording/<id>/call_status", data = "<form>")]
async fn call_status(app: &State<App>, id: Id, form: Signed) -> HookResult<Status> {
    flow::webhook(app, &id.0, Hook::CallStatus, &form.0).await?;
    Ok(Status::NoContent)
}

/// Recording progress: in-progress, completed (the audio is ready to copy), absent, failed.
#[post("/recording/<id>/recording_status_updated", data = "<form>")]
async fn recording_status_updated(app: &State<App>, id: Id, form: Signed) -> HookResult<Status> {
    flow::webhook(app, &id.0, Hook::RecordingStatus, &form.0).await?;
    Ok(Status::NoContent)
}
