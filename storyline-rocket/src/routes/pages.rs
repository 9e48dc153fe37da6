//! The storyteller's pages: the form, the live recording page, its status (JSON and server-sent events), and the audio.

use rocket::data::ToByteUnit;
use rocket::http::{ContentType, Status};
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::response::stream::{Event, EventStream};
use rocket::serde::json::{Json, Value};
use rocket::{Data, Route, Shutdown, State, get, post, routes};
use storyline_core::PhoneNumber;

use super::Id;
use crate::App;
use crate::audio::{AudioFile, RangeHeader};
use crate::flow::{self, PlaceError};
use crate::guard::{ClientAddress, CrossSite, SameOrigin};
use crate::pages;
use crate::waveform::Waveform;

pub fn routes() -> Vec<Route> {
    routes![landing, start, recording, status, events, audio, retry]
}

#[get("/")]
fn landing() -> RawHtml<String> {
    RawHtml(pages::landing("", None).into_string())
}

/// The form's `tel` field (other fields are ignored).
async fn read_tel(data: Data<'_>) -> Option<String> {
    let body = data.open(16.kibibytes()).into_bytes().await.ok()?;
    if !body.is_complete() {
        return None;
    }
    // Bytes that are not UTF-8 read as replacement characters, as percent-encoded ones do: not a number, not an error.
    let body = String::from_utf8_lossy(&body);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).ok()?;
    Some(
        pairs
            .into_iter()
            .find(|(k, _)| k == "tel")
            .map(|(_, v)| v)
            .unwrap_or_default(),
    )
}

fn form_error(status: Status, typed: &str, message: &str) -> (Status, RawHtml<String>) {
    (status, RawHtml(pages::landing(typed, Some(message)).into_string()))
}

#[post("/", data = "<data>")]
async fn start(
    app: &State<App>,
    origin: Result<SameOrigin, CrossSite>,
    address: Option<ClientAddress>,
    data: Data<'_>,
) -> Result<Redirect, (Status, RawHtml<String>)> {
    origin.map_err(|e| form_error(Status::Forbidden, "", e.words()))?;
    let Some(typed) = read_tel(data).await else {
        return Err(form_error(
            Status::PayloadTooLarge,
            "",
            "That was more than a phone number. Please type just your number.",
        ));
    };
    let typed = typed.trim().to_owned();
    let number = PhoneNumber::parse(&typed, app.region)
        .map_err(|e| form_error(Status::UnprocessableEntity, &typed, &flow::phone_error_words(&e)))?;
    app.guard
        .check_number(&number)
        .map_err(|words| form_error(Status::UnprocessableEntity, &typed, &words))?;
    match flow::place_call(app, &number, &typed, address.as_ref()).await {
        Ok(id) => Ok(Redirect::to(format!("/recording/{id}"))),
        Err(PlaceError::Refused(words)) => Err(form_error(Status::UnprocessableEntity, &typed, &words)),
        Err(PlaceError::Limited(words)) => Err(form_error(Status::TooManyRequests, &typed, &words)),
        Err(PlaceError::Unavailable(words)) => Err(form_error(Status::ServiceUnavailable, &typed, &words)),
        Err(PlaceError::Internal(e)) => {
            tracing::error!("placing a call failed: {e}");
            Err(form_error(
                Status::InternalServerError,
                &typed,
                "Something went wrong on our side and we could not call you. Please try again in a minute.",
            ))
        }
    }
}

#[get("/recording/<id>")]
async fn recording(app: &State<App>, id: Id) -> Result<RawHtml<String>, Status> {
    let view = flow::view(app, &id.0).await?.ok_or(Status::NotFound)?;
    let waveform = match (&view.stored, view.status.as_str()) {
        (Some(s), "complete") => Waveform::load(app.settings.data_dir.join("audio").join(&s.file)).await,
        _ => None,
    };
    Ok(RawHtml(
        pages::recording(&view.as_page(), waveform.as_ref()).into_string(),
    ))
}

#[get("/recording/<id>/status")]
async fn status(app: &State<App>, id: Id) -> Result<Json<Value>, Status> {
    let view = flow::view(app, &id.0).await?.ok_or(Status::NotFound)?;
    Ok(Json(view.to_json()))
}

#[get("/recording/<id>/events")]
async fn events(app: &State<App>, id: Id, mut shutdown: Shutdown) -> Result<EventStream![], Status> {
    let first = flow::view(app, &id.0).await?.ok_or(Status::NotFound)?;
    let mut rx = app.changes.subscribe();
    let app = app.inner().clone();
    let id = id.0;
    Ok(EventStream! {
        let mut last = first.status.clone();
        let done = pages::is_final(&last);
        yield Event::json(&first.to_json()).event("status");
        if !done {
            loop {
                let change = rocket::tokio::select! {
                    c = rx.recv() => c,
                    _ = &mut shutdown => break,
                };
                match change {
                    Ok(c) if c.id != id.as_str() => continue,
                    // Missed messages: read the current state instead.
                    Ok(_) | Err(rocket::tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
                let Ok(Some(view)) = flow::view(&app, &id).await else { break };
                if view.status != last {
                    last = view.status.clone();
                    yield Event::json(&view.to_json()).event("status");
                }
                if pages::is_final(&last) {
                    break;
                }
            }
        }
    }
    .heartbeat(std::time::Duration::from_secs(15)))
}

#[get("/recording/<id>/audio?<download>")]
async fn audio(app: &State<App>, id: Id, download: Option<u8>, range: RangeHeader) -> Result<AudioFile, Status> {
    let view = flow::view(app, &id.0).await?.ok_or(Status::NotFound)?;
    let stored = view.stored.as_ref().ok_or(Status::NotFound)?;
    let path = app.settings.data_dir.join("audio").join(&stored.file);
    let file = AudioFile::open(&path, ContentType::new("audio", "wav"), &range)
        .await
        .map_err(|_| Status::NotFound)?;
    Ok(if download.is_some() {
        file.download_as(format!("story-{}.wav", stored.recorded_on))
    } else {
        file
    })
}

#[post("/recording/<id>/retry")]
async fn retry(
    app: &State<App>,
    id: Id,
    origin: Result<SameOrigin, CrossSite>,
    address: Option<ClientAddress>,
) -> Result<Redirect, (Status, RawHtml<String>)> {
    origin.map_err(|e| form_error(Status::Forbidden, "", e.words()))?;
    let view = flow::view(app, &id.0)
        .await
        .map_err(|s| (s, RawHtml(pages::server_error().into_string())))?
        .ok_or((Status::NotFound, RawHtml(pages::not_found().into_string())))?;
    let number: PhoneNumber = view.phone.parse().map_err(|_| {
        (
            Status::InternalServerError,
            RawHtml(pages::server_error().into_string()),
        )
    })?;
    // The rules may have changed since the first call: they apply to every call placed.
    app.guard
        .check_number(&number)
        .map_err(|words| form_error(Status::UnprocessableEntity, &view.phone_display, &words))?;
    match flow::place_call(app, &number, &view.phone_display, address.as_ref()).await {
        Ok(new) => Ok(Redirect::to(format!("/recording/{new}"))),
        Err(PlaceError::Refused(words)) => Err(form_error(Status::UnprocessableEntity, &view.phone_display, &words)),
        Err(PlaceError::Limited(words)) => Err(form_error(Status::TooManyRequests, &view.phone_display, &words)),
        Err(PlaceError::Unavailable(words)) => Err(form_error(Status::ServiceUnavailable, &view.phone_display, &words)),
        Err(PlaceError::Internal(e)) => {
            tracing::error!("placing a call again failed: {e}");
            Err((
                Status::InternalServerError,
                RawHtml(pages::server_error().into_string()),
            ))
        }
    }
}
