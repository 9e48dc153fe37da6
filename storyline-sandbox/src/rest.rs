//! Twilio's REST API as the sandbox serves it: `Calls.json`, call and recording resources, recording media.

use std::sync::Arc;

use base64::Engine as _;
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::{Json, Value, json};
use rocket::{Catcher, Route, State as Managed, catch, catchers, delete, get, post, routes};
use storyline_core::{CallSid, RecordingSid};
use subtle::ConstantTimeEq;

use crate::call;
use crate::error::ApiError;
use crate::faults;
use crate::listing::CallFilter;
use crate::media;
use crate::state::State;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        create_call,
        list_calls,
        fetch_call,
        update_call,
        call_recordings,
        list_recordings,
        fetch_recording,
        delete_recording
    ]
}

pub(crate) fn catchers() -> Vec<Catcher> {
    catchers![bad_request, not_found, unauthorized, too_many_requests, unavailable]
}

#[catch(400)]
fn bad_request() -> ApiError {
    ApiError::bad(20001, "Bad request")
}

#[catch(404)]
fn not_found(req: &Request<'_>) -> ApiError {
    ApiError::not_found(req.uri().path().as_str())
}

#[catch(429)]
fn too_many_requests() -> ApiError {
    ApiError::new(429, 20429, "Too Many Requests")
}

#[catch(503)]
fn unavailable() -> ApiError {
    ApiError::new(503, 20503, "Service Unavailable")
}

#[catch(401)]
fn unauthorized() -> ApiError {
    ApiError::new(401, 20003, "Authenticate")
}

/// A REST request that the fault injector lets through (see [`crate::faults`]): during a burst it fails with `429` or
/// `503`, as Twilio does under load or in an outage.
pub(crate) struct Healthy;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Healthy {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = req.rocket().state::<Arc<State>>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        if state.burst.next_fails(state.faults.rest_errors, &state.dice) {
            let status = if state.dice.bool() {
                Status::TooManyRequests
            } else {
                Status::ServiceUnavailable
            };
            return Outcome::Error((status, ()));
        }
        Outcome::Success(Healthy)
    }
}

/// HTTP Basic auth with the account SID and auth token.
pub(crate) struct Authenticated;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Authenticated {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = req.rocket().state::<Arc<State>>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let decoded = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let expected = format!("{}:{}", state.account_sid, state.auth_token.expose_secret());
        match decoded {
            Some(given) if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) => Outcome::Success(Authenticated),
            _ => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn check_account(state: &State, account: &str) -> ApiResult<()> {
    if account == state.account_sid.as_str() {
        Ok(())
    } else {
        // Twilio answers a path for another account with 20003 too: the credentials do not reach it.
        Err(ApiError::new(401, 20003, "Authenticate"))
    }
}

fn strip<'a>(segment: &'a str, suffix: &str) -> Option<&'a str> {
    segment.strip_suffix(suffix)
}

#[post("/2010-04-01/Accounts/<account>/Calls.json", data = "<body>")]
async fn create_call(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    body: String,
) -> ApiResult<(Status, Json<Value>)> {
    check_account(state, account)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&body).map_err(|_| ApiError::new(400, 20001, "Invalid form body"))?;
    let record = crate::records::CallRecord::from_request(&pairs)?;
    let json = record.to_json(&state.account_sid, state.speed);
    let sid = record.sid.clone();
    state.evict();
    state.calls.lock().expect("not poisoned").insert(sid.clone(), record);
    let running = Arc::clone(state);
    tokio::spawn(async move { call::run(running, sid).await });
    // The call is queued and runs; only the answer saying so is lost, as when Twilio fails after accepting a call.
    if state.dice.roll(state.faults.create_then_timeout) {
        tokio::time::sleep(faults::CREATE_HOLD).await;
    }
    if state.dice.roll(state.faults.create_then_error) {
        return Err(ApiError::new(500, 20500, "An internal server error has occurred"));
    }
    Ok((Status::Created, Json(json)))
}

/// `Status=canceled` (or `completed`) cancels a call not yet answered; a call in progress is left alone by `canceled`.
#[post("/2010-04-01/Accounts/<account>/Calls/<call>", data = "<body>")]
fn update_call(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    call: &str,
    body: String,
) -> ApiResult<Json<Value>> {
    check_account(state, account)?;
    let sid: CallSid = strip(call, ".json")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::not_found(call))?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&body).map_err(|_| ApiError::new(400, 20001, "Invalid form body"))?;
    let status = pairs.iter().find(|(k, _)| k == "Status").map(|(_, v)| v.as_str());
    let now = state
        .calls
        .lock()
        .expect("not poisoned")
        .get(&sid)
        .map(|c| c.status)
        .ok_or_else(|| ApiError::not_found(call))?;
    match status {
        Some("canceled" | "completed") if now.is_final() => {
            return Err(ApiError::bad(21220, "Call is not in-progress. Cannot redirect."));
        }
        Some("canceled") if now == crate::CallStatus::InProgress => {}
        Some("canceled" | "completed") if call::cancel(state, &sid) => {}
        Some("completed") => {
            return Err(ApiError::bad(20001, "This sandbox cannot hang up a call in progress"));
        }
        // Raced with the answer or the end: what it is now says.
        Some("canceled") => {}
        Some(other) => return Err(ApiError::bad(20001, format!("Invalid Status: {other}"))),
        None => return Err(ApiError::bad(20001, "This sandbox updates a call's Status only")),
    }
    let calls = state.calls.lock().expect("not poisoned");
    let record = calls.get(&sid).ok_or_else(|| ApiError::not_found(call))?;
    Ok(Json(record.to_json(&state.account_sid, state.speed)))
}

/// The query string's pairs, decoded; names such as `StartTime>` are no Rust identifiers for Rocket to bind.
pub(crate) struct QueryPairs(Vec<(String, String)>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for QueryPairs {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let query = req.uri().query().map_or("", |q| q.as_str());
        match serde_urlencoded::from_str(query) {
            Ok(pairs) => Outcome::Success(QueryPairs(pairs)),
            Err(_) => Outcome::Error((Status::BadRequest, ())),
        }
    }
}

/// The account's calls, newest first, filtered and paged as Twilio documents.
#[get("/2010-04-01/Accounts/<account>/Calls.json")]
fn list_calls(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    check_account(state, account)?;
    let filter = CallFilter::from_query(&query.0)?;
    let calls = state.calls.lock().expect("not poisoned");
    let mut matching: Vec<_> = calls.values().filter(|c| filter.admits(c)).collect();
    matching.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let start = filter.page * filter.page_size;
    let items: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(filter.page_size)
        .map(|c| c.to_json(&state.account_sid, state.speed))
        .collect();
    let path = format!("/2010-04-01/Accounts/{account}/Calls.json");
    let more = matching.len() > start + items.len();
    Ok(Json(json!({
        "calls": items,
        "first_page_uri": filter.page_uri(&path, 0),
        "next_page_uri": more.then(|| filter.page_uri(&path, filter.page + 1)),
        "previous_page_uri": (filter.page > 0).then(|| filter.page_uri(&path, filter.page - 1)),
        "page": filter.page,
        "page_size": filter.page_size,
        "start": start,
        "end": (start + items.len()).saturating_sub(1),
        "uri": filter.page_uri(&path, filter.page),
    })))
}

#[get("/2010-04-01/Accounts/<account>/Calls/<call>")]
fn fetch_call(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    call: &str,
) -> ApiResult<Json<Value>> {
    check_account(state, account)?;
    let sid: CallSid = strip(call, ".json")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::not_found(call))?;
    let calls = state.calls.lock().expect("not poisoned");
    let record = calls.get(&sid).ok_or_else(|| ApiError::not_found(call))?;
    Ok(Json(record.to_json(&state.account_sid, state.speed)))
}

#[get("/2010-04-01/Accounts/<account>/Recordings.json?<CallSid>")]
#[allow(non_snake_case)] // Twilio's parameter name.
fn list_recordings(
    _healthy: Healthy,
    auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    CallSid: Option<&str>,
) -> ApiResult<Json<Value>> {
    match CallSid {
        Some(call) => call_recordings(Healthy, auth, state, account, call),
        None => Err(ApiError::bad(20001, "This sandbox lists recordings by CallSid only")),
    }
}

#[get("/2010-04-01/Accounts/<account>/Calls/<call>/Recordings.json")]
fn call_recordings(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    call: &str,
) -> ApiResult<Json<Value>> {
    check_account(state, account)?;
    let sid: CallSid = call.parse().map_err(|_| ApiError::not_found(call))?;
    let recordings = state.recordings.lock().expect("not poisoned");
    let mut list: Vec<_> = recordings.values().filter(|r| r.call_sid == sid).collect();
    list.sort_by_key(|r| r.created_at);
    let items: Vec<Value> = list
        .iter()
        .map(|r| r.to_json(&state.account_sid, state.public_base()))
        .collect();
    Ok(Json(json!({
        "recordings": items,
        "first_page_uri": format!("/2010-04-01/Accounts/{account}/Calls/{call}/Recordings.json?PageSize=50&Page=0"),
        "next_page_uri": null,
        "previous_page_uri": null,
        "page": 0,
        "page_size": 50,
        "start": 0,
        "end": items.len().saturating_sub(1),
        "uri": format!("/2010-04-01/Accounts/{account}/Calls/{call}/Recordings.json?PageSize=50&Page=0"),
    })))
}

/// Recording metadata, media (`.wav`, `.mp3`, or no extension for WAV). Media answers without authentication, as
/// Twilio does for accounts that do not enforce HTTP auth on media; credentials sent anyway are accepted.
#[get("/2010-04-01/Accounts/<account>/Recordings/<file>")]
fn fetch_recording(
    _healthy: Healthy,
    state: &Managed<Arc<State>>,
    auth: Option<Authenticated>,
    account: &str,
    file: &str,
) -> ApiResult<Media> {
    check_account(state, account)?;
    let (sid, ext) = file.split_once('.').unwrap_or((file, "wav"));
    let sid: RecordingSid = sid.parse().map_err(|_| ApiError::not_found(file))?;
    let recordings = state.recordings.lock().expect("not poisoned");
    let rec = recordings
        .get(&sid)
        .filter(|r| !r.deleted)
        .ok_or_else(|| ApiError::not_found(file))?;
    match ext {
        "json" if auth.is_some() => Ok(Media::Json(Json(rec.to_json(&state.account_sid, state.public_base())))),
        "json" => Err(ApiError::new(401, 20003, "Authenticate")),
        _ if !rec.media_ready() => Err(ApiError::not_found(file)),
        "wav" => Ok(Media::Audio(ContentType::new("audio", "x-wav"), media::wav(&rec.pcm))),
        "mp3" => match rec.sample {
            Some(sample) => Ok(Media::Audio(
                ContentType::new("audio", "mpeg"),
                media::mp3(sample, rec.duration_ms),
            )),
            // The sandbox has no MP3 encoder for what the sandbox phone recorded: only the WAV exists.
            None => Err(ApiError::not_found(file)),
        },
        _ => Err(ApiError::not_found(file)),
    }
}

#[delete("/2010-04-01/Accounts/<account>/Recordings/<file>")]
fn delete_recording(
    _healthy: Healthy,
    _auth: Authenticated,
    state: &Managed<Arc<State>>,
    account: &str,
    file: &str,
) -> ApiResult<Status> {
    check_account(state, account)?;
    let sid: RecordingSid = strip(file, ".json")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::not_found(file))?;
    let mut recordings = state.recordings.lock().expect("not poisoned");
    match recordings.get_mut(&sid) {
        Some(rec) if !rec.deleted => {
            rec.deleted = true;
            rec.pcm = Vec::new();
            Ok(Status::NoContent)
        }
        _ => Err(ApiError::not_found(file)),
    }
}

/// A recording resource or its audio.
pub(crate) enum Media {
    Json(Json<Value>),
    Audio(ContentType, Vec<u8>),
}

impl<'r> Responder<'r, 'static> for Media {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Media::Json(j) => j.respond_to(req),
            Media::Audio(ct, bytes) => Response::build()
                .header(ct)
                .sized_body(bytes.len(), std::io::Cursor::new(bytes))
                .ok(),
        }
    }
}
