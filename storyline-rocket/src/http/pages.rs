//! The storyteller's pages: the form, the live recording page, its status (JSON and server-sent events), and the audio.

use crate::store::AudioFacts;
use rocket::data::ToByteUnit;
use rocket::http::{ContentType, CookieJar, Status};
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::response::stream::{Event, EventStream};
use rocket::serde::json::{Json, Value, json};
use rocket::{Data, Route, Shutdown, State, get, post, routes};
use storyline_core::RecordingId;
use storyline_core::recording::Status as StoryStatus;
use tracing::Instrument as _;

use super::audio::{AudioFile, RangeHeader};
use super::browser::{Browser, masked};
use super::guards::{Id, SameOrigin};
use super::{BodyError, read_body, status_of};
use crate::abuse::{ClientAddress, CrossSite, streams};
use crate::app::App;
use crate::pages::waveform::Waveform;
use crate::pages::{self, AudioView, RecordingView, words};
use crate::store::Limit;
use crate::story::{self, PlaceError, StartError, StartRequest, View};

pub(super) fn routes() -> Vec<Route> {
    routes![
        landing,
        start,
        recording,
        status,
        events,
        audio,
        retry,
        confirm_delete,
        delete
    ]
}

type Page = RawHtml<String>;

/// The landing page never changes while the server runs: it is written once.
#[get("/")]
fn landing(app: &State<App>) -> RawHtml<&str> {
    RawHtml(
        app.landing
            .get_or_init(|| pages::landing(&app.links, "", None).into_string()),
    )
}

/// The form's `tel` field (other fields are ignored); a body that is not a form reads as an empty number.
async fn read_tel(data: Data<'_>) -> Result<String, BodyError> {
    let body = read_body(data, 16.kibibytes()).await?;
    // Bytes that are not UTF-8 read as replacement characters, as percent-encoded ones do: not a number, not an error.
    let body = String::from_utf8_lossy(&body);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    Ok(pairs
        .into_iter()
        .find(|(k, _)| k == "tel")
        .map(|(_, v)| v)
        .unwrap_or_default())
}

fn form_error(app: &App, status: Status, typed: &str, message: &str) -> (Status, Page) {
    (
        status,
        RawHtml(pages::landing(&app.links, typed, Some(message)).into_string()),
    )
}

/// The landing form again, with what went wrong and the number as typed.
fn start_refused(app: &App, typed: &str, e: &StartError) -> (Status, Page) {
    let (status, _, words) = super::start_refused(app, e);
    if let StartError::Place(PlaceError::Limited(Limit::Service(budget))) = e {
        return (status, RawHtml(pages::busy(&app.links, budget.hourly()).into_string()));
    }
    form_error(app, status, typed, &words)
}

#[post("/", data = "<data>")]
async fn start(
    app: &State<App>,
    origin: Result<SameOrigin, CrossSite>,
    address: Option<ClientAddress>,
    mut browser: Browser,
    jar: &CookieJar<'_>,
    data: Data<'_>,
) -> Result<Redirect, (Status, Page)> {
    async move {
        origin.map_err(|e| form_error(app, Status::Forbidden, "", words::cross_site(&e)))?;
        let typed = match read_tel(data).await {
            Ok(typed) => typed,
            Err(BodyError::TooSlow) => return Err(form_error(app, Status::RequestTimeout, "", words::TOO_SLOW)),
            Err(e) => return Err(form_error(app, e.status(), "", words::TOO_LARGE)),
        };
        let request = StartRequest {
            typed: &typed,
            address: address.as_ref(),
            reference: None,
            prompt: None,
            idempotency_key: None,
            owner: browser.claim(jar, app),
        };
        match story::start(app, request).await {
            Ok(id) => Ok(Redirect::to(app.links.recording(id.as_str()))),
            Err(e) => Err(start_refused(app, typed.trim(), &e)),
        }
    }
    .instrument(tracing::info_span!("request", route = "start"))
    .await
}

/// The number as this browser is shown it: in full to the one that asked for the call, masked to anyone else.
fn number_for(view: &View, browser: &Browser) -> String {
    if browser.owns(&view.row) {
        view.phone_display.clone()
    } else {
        masked(&view.phone_display)
    }
}

/// What the recording page renders.
fn page_view<'a>(view: &'a View, number: &'a str, owner: bool) -> RecordingView<'a> {
    RecordingView {
        id: view.id.as_str(),
        status: view.status,
        number,
        audio: view.stored.as_ref().map(|s| AudioView {
            duration_secs: s.duration.as_secs_f64().round() as u64,
            recorded_at: s.recorded_at.clone(),
            recorded_iso: s.recorded_iso.clone(),
        }),
        call_again: view.can_call_again(crate::store::now_ms()),
        can_delete: view.can_be_deleted() && owner,
        delayed: view.delayed,
        recording_failed: view.row.recording.recording_failed(),
    }
}

/// The status JSON: the contract of `GET /recording/:id/status`.
fn status_json(app: &App, view: &View, browser: &Browser) -> Value {
    let w = words::for_page(
        view.status,
        &number_for(view, browser),
        view.delayed,
        view.row.recording.recording_failed(),
    );
    let mut v = json!({
        "status": view.status.as_str(),
        "heading": w.heading,
        "detail": w.detail,
        "final": view.status.is_final(),
        "delayed": view.delayed,
    });
    if let (Some(s), StoryStatus::Complete) = (&view.stored, view.status) {
        v["audio_url"] = json!(app.links.audio(view.id.as_str()));
        v["duration_secs"] = json!(s.duration.as_secs_f64());
        v["recorded_at"] = json!(s.recorded_at);
    }
    v
}

/// A recording as its routes see it: 404 if there is none, 410 if it was deleted.
async fn load(app: &App, id: &Id) -> Result<View, Status> {
    match story::view(app, &id.0).await.map_err(|e| status_of(&e))? {
        Some(view) => Ok(view),
        None if app.store.is_deleted(&id.0).await.unwrap_or(false) => Err(Status::Gone),
        None => Err(Status::NotFound),
    }
}

#[get("/recording/<id>")]
async fn recording(app: &State<App>, id: Id, browser: Browser) -> Result<Page, Status> {
    let span = id.span("recording");
    async move {
        let view = load(app, &id).await?;
        let waveform = match (&view.stored, view.status) {
            (Some(s), StoryStatus::Complete) => waveform(app, &id.0, &s.file).await,
            _ => None,
        };
        let number = number_for(&view, &browser);
        Ok(RawHtml(
            pages::recording(
                &app.links,
                &page_view(&view, &number, browser.owns(&view.row)),
                waveform.as_ref(),
            )
            .into_string(),
        ))
    }
    .instrument(span)
    .await
}

/// A stored recording's waveform, as worked out when it was stored. A recording stored before that was done, in the
/// data directory, is read once and its shape kept.
async fn waveform(app: &App, id: &RecordingId, file: &str) -> Option<Waveform> {
    match app.store.audio_facts(id).await {
        Ok(Some(facts)) => return Waveform::from_parts(facts.peaks, facts.duration),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("reading a recording's waveform failed: {e}");
            return None;
        }
    }
    let path = app.audio.local_path(file)?;
    let size = tokio::fs::metadata(&path).await.ok()?.len();
    let waveform = Waveform::load(path).await?;
    let facts = AudioFacts {
        size_bytes: size,
        duration: waveform.duration(),
        peaks: waveform.peaks().to_vec(),
    };
    if let Err(e) = app.store.save_audio_facts(id, &facts).await {
        tracing::warn!("keeping a recording's waveform failed: {e}");
    }
    Some(waveform)
}

#[get("/recording/<id>/status")]
async fn status(app: &State<App>, id: Id, browser: Browser) -> Result<Json<Value>, Status> {
    let span = id.span("status");
    async move { Ok(Json(status_json(app, &load(app, &id).await?, &browser))) }
        .instrument(span)
        .await
}

#[get("/recording/<id>/events")]
async fn events(
    app: &State<App>,
    id: Id,
    browser: Browser,
    address: Option<ClientAddress>,
    mut shutdown: Shutdown,
) -> Result<EventStream![], Status> {
    // One visitor cannot hold every connection open: a page refused a stream polls the status instead.
    let Some(permit) = app
        .guard
        .streams
        .open(id.0.as_str(), address.as_ref().map(ClientAddress::as_str))
    else {
        tracing::info!("refused a live stream: its recording or its address has its share open");
        return Err(Status::TooManyRequests);
    };
    // Listen before reading: a change between the two would otherwise be missed, and an ending (after which no
    // other change comes) would leave the page waiting for ever.
    let mut rx = app.changes.subscribe();
    let first = load(app, &id).instrument(id.span("events")).await?;
    let app = app.inner().clone();
    let id = id.0;
    Ok(EventStream! {
        let _permit = permit;
        // Each stream lives a while; the page's EventSource then opens the next one by itself, soon.
        let ends = rocket::tokio::time::sleep(app.delay(streams::LIFETIME.as_secs()));
        rocket::tokio::pin!(ends);
        yield Event::retry(std::time::Duration::from_secs(2));
        let mut last = (first.status, first.delayed);
        yield Event::json(&status_json(&app, &first, &browser)).event("status");
        // A story whose saving is delayed is not followed live: its page says to come back later.
        if !first.status.is_final() && !first.delayed {
            loop {
                let change = rocket::tokio::select! {
                    c = rx.recv() => c,
                    _ = &mut shutdown => break,
                    () = &mut ends => break,
                };
                match change {
                    Ok(c) if c.id != id => continue,
                    // Missed messages: read the current state instead.
                    Ok(_) | Err(rocket::tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
                let Ok(Some(view)) = story::view(&app, &id).await else { break };
                if (view.status, view.delayed) != last {
                    last = (view.status, view.delayed);
                    yield Event::json(&status_json(&app, &view, &browser)).event("status");
                }
                if last.0.is_final() || last.1 {
                    break;
                }
            }
        }
    }
    .heartbeat(std::time::Duration::from_secs(15)))
}

#[get("/recording/<id>/audio?<download>")]
async fn audio(app: &State<App>, id: Id, download: Option<u8>, range: RangeHeader) -> Result<AudioFile, Status> {
    let span = id.span("audio");
    async move {
        let view = load(app, &id).await?;
        let stored = view.stored.as_ref().ok_or(Status::NotFound)?;
        let file = AudioFile::open(
            &app.audio,
            &stored.file,
            stored.size_bytes,
            ContentType::new("audio", "wav"),
            &range,
        )
        .await
        .map_err(|e| {
            tracing::warn!("a stored recording could not be read: {e}");
            Status::NotFound
        })?;
        Ok(if download.is_some() {
            file.download_as(format!("story-{}.wav", stored.recorded_on))
        } else {
            file
        })
    }
    .instrument(span)
    .await
}

#[post("/recording/<id>/retry")]
async fn retry(
    app: &State<App>,
    id: Id,
    origin: Result<SameOrigin, CrossSite>,
    address: Option<ClientAddress>,
    browser: Browser,
) -> Result<Redirect, (Status, Page)> {
    let span = id.span("retry");
    async move {
        let server_error = || {
            (
                Status::InternalServerError,
                RawHtml(pages::server_error(&app.links).into_string()),
            )
        };
        origin.map_err(|e| form_error(app, Status::Forbidden, "", words::cross_site(&e)))?;
        let view = load(app, &id).await.map_err(|status| match status {
            Status::NotFound => (status, RawHtml(pages::not_found(&app.links).into_string())),
            Status::Gone => (status, RawHtml(pages::deleted(&app.links).into_string())),
            _ => server_error(),
        })?;
        if !view.can_call_again(crate::store::now_ms()) {
            // A stored story, a call still going on, or an ending too old: an old link must not keep a number
            // ringing. The form starts a new story.
            return Err(form_error(app, Status::Conflict, "", words::CANNOT_CALL_AGAIN));
        }
        match story::start_again(app, &view.row, address.as_ref()).await {
            Ok(new) => Ok(Redirect::to(app.links.recording(new.as_str()))),
            Err(StartError::Place(PlaceError::Internal(e))) => {
                tracing::error!("placing a call again failed: {e}");
                Err(server_error())
            }
            // The form is filled in again with the number only for the browser that asked for the first call.
            Err(e) => {
                let typed = if browser.owns(&view.row) {
                    view.phone_display.as_str()
                } else {
                    ""
                };
                Err(start_refused(app, typed, &e))
            }
        }
    }
    .instrument(span)
    .await
}

/// "Delete this story": the confirmation step (nothing is deleted by following a link). Only the browser that asked
/// for the call may delete its story from the page: a forwarded link is enough to listen, not to erase.
#[get("/recording/<id>/delete")]
async fn confirm_delete(app: &State<App>, id: Id, browser: Browser) -> Result<(Status, Page), Status> {
    let span = id.span("confirm_delete");
    async move {
        let view = load(app, &id).await?;
        if !browser.owns(&view.row) {
            return Ok((
                Status::Forbidden,
                RawHtml(pages::not_yours(&app.links, view.id.as_str()).into_string()),
            ));
        }
        if !view.can_be_deleted() {
            let page = pages::cannot_delete_yet(&app.links, view.id.as_str());
            return Ok((Status::Conflict, RawHtml(page.into_string())));
        }
        Ok((
            Status::Ok,
            RawHtml(pages::confirm_delete(&app.links, view.id.as_str()).into_string()),
        ))
    }
    .instrument(span)
    .await
}

/// Deletes the story, from its own page's confirmation form, in the browser that asked for the call; then its page
/// says it was deleted.
#[post("/recording/<id>/delete")]
async fn delete(
    app: &State<App>,
    id: Id,
    origin: Result<SameOrigin, CrossSite>,
    browser: Browser,
) -> Result<Redirect, (Status, Page)> {
    let span = id.span("delete");
    async move {
        origin.map_err(|e| form_error(app, Status::Forbidden, "", words::cross_site(&e)))?;
        let page = |status: Status, html: maud::Markup| (status, RawHtml(html.into_string()));
        match load(app, &id).await {
            Ok(view) if !browser.owns(&view.row) => {
                return Err(page(Status::Forbidden, pages::not_yours(&app.links, id.0.as_str())));
            }
            Ok(_) | Err(Status::Gone) => {}
            Err(Status::NotFound) => return Err(page(Status::NotFound, pages::not_found(&app.links))),
            Err(status) => return Err(page(status, pages::server_error(&app.links))),
        }
        match story::delete(app, &id.0, "its storyteller asked").await {
            Ok(story::Deleted::Now | story::Deleted::Already) => Ok(Redirect::to(app.links.recording(id.0.as_str()))),
            Ok(story::Deleted::CallGoingOn) => Err(page(
                Status::Conflict,
                pages::cannot_delete_yet(&app.links, id.0.as_str()),
            )),
            Ok(story::Deleted::NotFound) => Err(page(Status::NotFound, pages::not_found(&app.links))),
            Err(e) => Err(page(status_of(&e), pages::server_error(&app.links))),
        }
    }
    .instrument(span)
    .await
}
