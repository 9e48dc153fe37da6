//! The API for host services, under `{base}/api/v1`: start a story for one of their storytellers, and fetch it.
//! `Authorization: Bearer <STORYLINE_API_KEY>`; without the setting the API is off and answers 404. Errors are
//! `{"error": {"code", "message"}}`; messages are the words the form would show.

use std::io::Cursor;

use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::{Value, json};
use rocket::{Route, State, delete, get, post, routes};
use serde::Deserialize;
use tracing::Instrument as _;

use super::BodyError;
use super::guards::{ApiAuthError, ApiKey, Id};
use super::status_of;
use crate::app::App;
use crate::story::idempotency::{self, Claim};
use crate::story::{self, PlaceError, StartError, StartRequest, Unavailable};
use storyline_core::RecordingId;

pub(super) fn routes() -> Vec<Route> {
    routes![create, fetch, remove]
}

/// The longest question and reference a story may carry, in characters.
const MAX_PROMPT: usize = 500;
const MAX_REFERENCE: usize = 200;
const MAX_KEY: usize = 255;

/// The error body.
pub(crate) fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// An answer of the API: JSON with its status; replays of an `Idempotency-Key` say so.
pub(crate) struct Answer {
    status: Status,
    body: String,
    replayed: bool,
}

impl Answer {
    fn json(status: Status, body: &Value) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            replayed: false,
        }
    }

    fn error(status: Status, code: &str, message: &str) -> Answer {
        Answer::json(status, &error_body(code, message))
    }
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut r = Response::build();
        r.status(self.status)
            .header(ContentType::JSON)
            .header(Header::new("Cache-Control", "no-store"))
            .sized_body(self.body.len(), Cursor::new(self.body));
        if self.replayed {
            r.header(Header::new("Idempotent-Replayed", "true"));
        }
        r.ok()
    }
}

fn refused(auth: ApiAuthError) -> Answer {
    match auth {
        ApiAuthError::Off => Answer::error(Status::NotFound, "not_found", "There is nothing at this address."),
        ApiAuthError::Unauthorized => Answer::error(
            Status::Unauthorized,
            "unauthorized",
            "Send the API key as `Authorization: Bearer <key>`.",
        ),
    }
}

/// The `Idempotency-Key` header, if any.
pub(crate) struct IdempotencyKey(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(IdempotencyKey(
            req.headers().get_one("Idempotency-Key").map(str::to_owned),
        ))
    }
}

#[derive(Deserialize)]
struct CreateStory {
    phone: Option<String>,
    prompt: Option<String>,
    reference: Option<String>,
}

fn tidy(field: Option<String>) -> Option<String> {
    field.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `POST {base}/api/v1/stories`: places the call exactly as the form does, answers `201` with the story.
#[post("/api/v1/stories", data = "<data>")]
async fn create(app: &State<App>, auth: Result<ApiKey, ApiAuthError>, key: IdempotencyKey, data: Data<'_>) -> Answer {
    if let Err(e) = auth {
        return refused(e);
    }
    let body = match super::read_body(data, 16.kibibytes()).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return Answer::error(
                Status::PayloadTooLarge,
                "too_large",
                "The request body is larger than 16 KiB.",
            );
        }
        Err(e @ BodyError::TooSlow) => {
            return Answer::error(
                e.status(),
                "timeout",
                "The request body did not arrive within 10 seconds.",
            );
        }
        Err(BodyError::Unreadable) => {
            return Answer::error(
                Status::BadRequest,
                "invalid_json",
                "The request body could not be read.",
            );
        }
    };
    let request: CreateStory = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return Answer::error(
                Status::BadRequest,
                "invalid_json",
                &format!("The body is not the JSON object expected: {e}."),
            );
        }
    };
    let Some(phone) = tidy(request.phone) else {
        return Answer::error(
            Status::BadRequest,
            "missing_phone",
            "`phone` is required: the number to call.",
        );
    };
    let (prompt, reference) = (tidy(request.prompt), tidy(request.reference));
    if prompt.as_ref().is_some_and(|p| p.chars().count() > MAX_PROMPT) {
        return Answer::error(
            Status::BadRequest,
            "invalid_prompt",
            &format!("`prompt` may be at most {MAX_PROMPT} characters."),
        );
    }
    if reference.as_ref().is_some_and(|r| r.chars().count() > MAX_REFERENCE) {
        return Answer::error(
            Status::BadRequest,
            "invalid_reference",
            &format!("`reference` may be at most {MAX_REFERENCE} characters."),
        );
    }
    let key = match key.0.map(|k| k.trim().to_owned()) {
        Some(k) if k.is_empty() || k.len() > MAX_KEY => {
            return Answer::error(
                Status::BadRequest,
                "invalid_idempotency_key",
                &format!("`Idempotency-Key` must be 1 to {MAX_KEY} characters."),
            );
        }
        other => other,
    };
    let fingerprint = json!({"phone": phone, "prompt": prompt, "reference": reference}).to_string();
    async move {
        if let Some(key) = &key {
            match idempotency::claim(app, key, &fingerprint).await {
                Ok(Claim::New) => {}
                Ok(Claim::InFlight) => {
                    return Answer::error(
                        Status::Conflict,
                        "idempotency_key_in_use",
                        "A request with this Idempotency-Key is being answered. Try again in a moment.",
                    );
                }
                Ok(Claim::Answered {
                    status,
                    body,
                    same_request: true,
                }) => {
                    return Answer {
                        status: Status::new(status),
                        body,
                        replayed: true,
                    };
                }
                // The request that held the key died after creating its story: that story is the answer.
                Ok(Claim::Started {
                    recording_id,
                    same_request: true,
                }) => {
                    let answer = story_answer(app, &recording_id, Status::Created).await;
                    if let Err(e) = idempotency::answer(app, key, answer.status.code, &answer.body).await {
                        tracing::error!("keeping an idempotency key's answer failed: {e}");
                    }
                    return Answer {
                        replayed: true,
                        ..answer
                    };
                }
                Ok(
                    Claim::Answered {
                        same_request: false, ..
                    }
                    | Claim::Started {
                        same_request: false, ..
                    },
                ) => {
                    return Answer::error(
                        Status::UnprocessableEntity,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request in the last 24 hours.",
                    );
                }
                Err(e) => {
                    tracing::error!("reading an idempotency key failed: {e}");
                    return Answer::error(
                        Status::InternalServerError,
                        "internal",
                        "Something went wrong on our side.",
                    );
                }
            }
        }
        let start = StartRequest {
            typed: &phone,
            // A host service is one client asking for many storytellers: the per-number limits and the pacing apply,
            // the per-address limit (meant for one visitor's browser) does not.
            address: None,
            reference,
            prompt,
            idempotency_key: key.as_deref(),
            // The host service knows the number: no storyteller's browser asked, so every page masks it.
            owner: None,
        };
        let started = story::start(app, start).await;
        // Only a refusal that placed nothing (a limit reached, the queue full) lets the key go for a retry; every
        // other answer, our failures included, is the key's answer for a day, as Stripe's keys are.
        let placed_nothing = matches!(
            started,
            Err(StartError::Place(
                PlaceError::Limited(_) | PlaceError::Unavailable(Unavailable::Busy)
            ))
        );
        let answer = match started {
            Ok(id) => story_answer(app, &id, Status::Created).await,
            Err(e) => start_error(app, &e),
        };
        if let Some(key) = &key {
            let kept = if placed_nothing {
                idempotency::release(app, key).await
            } else {
                idempotency::answer(app, key, answer.status.code, &answer.body).await
            };
            if let Err(e) = kept {
                tracing::error!("keeping an idempotency key's answer failed: {e}");
            }
        }
        answer
    }
    .instrument(tracing::info_span!("request", route = "api_create"))
    .await
}

fn start_error(app: &App, e: &StartError) -> Answer {
    let (status, code, words) = super::start_refused(app, e);
    Answer::error(status, code, &words)
}

/// A story as the API answers it, or our own failure.
async fn story_answer(app: &App, id: &RecordingId, status: Status) -> Answer {
    match story::view(app, id).await {
        Ok(Some(view)) => Answer::json(status, &view.to_story_json(app)),
        _ => Answer::error(
            Status::InternalServerError,
            "internal",
            "Something went wrong on our side.",
        ),
    }
}

/// `GET {base}/api/v1/stories/<id>`: the story.
#[get("/api/v1/stories/<id>")]
async fn fetch(app: &State<App>, auth: Result<ApiKey, ApiAuthError>, id: Id) -> Answer {
    if let Err(e) = auth {
        return refused(e);
    }
    let span = id.span("api_fetch");
    async move {
        match story::view(app, &id.0).await {
            Ok(Some(view)) => Answer::json(Status::Ok, &view.to_story_json(app)),
            Ok(None) if app.store.is_deleted(&id.0).await.unwrap_or(false) => {
                Answer::error(Status::Gone, "deleted", "This story was deleted.")
            }
            Ok(None) => Answer::error(Status::NotFound, "not_found", "No story has this id."),
            Err(e) => {
                let status = status_of(&e);
                Answer::error(status, "internal", "Something went wrong on our side.")
            }
        }
    }
    .instrument(span)
    .await
}

/// `DELETE {base}/api/v1/stories/<id>`: deletes the story (its audio, its number, Twilio's copy), as its storyteller
/// can from its page; `story.deleted` follows. Deleting it again answers the same.
#[delete("/api/v1/stories/<id>")]
async fn remove(app: &State<App>, auth: Result<ApiKey, ApiAuthError>, id: Id) -> Answer {
    if let Err(e) = auth {
        return refused(e);
    }
    let span = id.span("api_delete");
    async move {
        match story::delete(app, &id.0, "the host service asked").await {
            Ok(story::Deleted::Now | story::Deleted::Already) => {
                Answer::json(Status::Ok, &json!({"id": id.0, "status": "deleted"}))
            }
            Ok(story::Deleted::CallGoingOn) => Answer::error(
                Status::Conflict,
                "call_in_progress",
                "The story's call is still going on, or its story is being saved; delete it once it has ended.",
            ),
            Ok(story::Deleted::NotFound) => Answer::error(Status::NotFound, "not_found", "No story has this id."),
            Err(e) => Answer::error(status_of(&e), "internal", "Something went wrong on our side."),
        }
    }
    .instrument(span)
    .await
}
