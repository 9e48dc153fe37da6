//! Storyline's HTTP side: the storyteller's pages ([`pages`]), Twilio's webhooks ([`webhooks`]), the API for host
//! services ([`api`]), the static assets, the guards that hand handlers valid values ([`guards`]), Storyline's own
//! catchers, and the security headers of its answers.

mod api;
mod assets;
mod audio;
mod browser;
mod guards;
mod health;
mod pages;
mod webhooks;

use std::time::Duration;

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::content::RawHtml;
use rocket::serde::json::{Json, Value, json};
use rocket::{Catcher, Response, Route, catch, catchers};

use crate::app::App;
use crate::links::Links;
use crate::pages::words;
use crate::store::Limit;
use crate::story::{PlaceError, StartError, StoryError};

/// Every route, relative to the mount path. The robots file only makes sense at the site's root.
pub(crate) fn routes(links: &Links) -> Vec<Route> {
    let mut r = pages::routes();
    r.extend(webhooks::routes());
    r.extend(api::routes());
    r.extend(health::routes());
    r.extend(assets::routes(links.base().is_empty()));
    r
}

/// Storyline's catchers, registered at the mount path: the host's own catchers keep the rest of its site.
pub(crate) fn catchers() -> Vec<Catcher> {
    catchers![
        not_found,
        gone,
        unprocessable,
        server_error,
        forbidden,
        too_large,
        bad_request
    ]
}

/// The longest a client may take to send a request's body, once its headers are in: a client that trickles its body
/// a byte at a time must not hold a task and a connection for ever. Twilio, a browser and a host service send these
/// small bodies in milliseconds.
pub(crate) const BODY_READ_AT_MOST: Duration = Duration::from_secs(10);

/// Why a request's body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the route takes.
    TooLarge,
    /// Not all there within [`BODY_READ_AT_MOST`].
    TooSlow,
    /// The connection failed while it was read.
    Unreadable,
}

impl BodyError {
    /// The status it is answered with.
    pub(crate) fn status(self) -> Status {
        match self {
            BodyError::TooLarge => Status::PayloadTooLarge,
            BodyError::TooSlow => Status::RequestTimeout,
            BodyError::Unreadable => Status::BadRequest,
        }
    }
}

/// Reads a request's whole body, at most `limit` bytes, within [`BODY_READ_AT_MOST`].
pub(crate) async fn read_body(data: rocket::Data<'_>, limit: rocket::data::ByteUnit) -> Result<Vec<u8>, BodyError> {
    match tokio::time::timeout(BODY_READ_AT_MOST, data.open(limit).into_bytes()).await {
        Err(_) => {
            tracing::info!("a request's body did not arrive in time");
            Err(BodyError::TooSlow)
        }
        Ok(Ok(body)) if body.is_complete() => Ok(body.into_inner()),
        Ok(Ok(_)) => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Unreadable),
    }
}

/// The links of the Storyline that is answering.
fn links(req: &Request<'_>) -> Links {
    req.rocket()
        .state::<App>()
        .map_or_else(|| Links::new("/"), |app| app.links.clone())
}

/// The path below Storyline's mount point.
fn relative_path(req: &Request<'_>) -> String {
    let path = req.uri().path().as_str().to_owned();
    let links = links(req);
    path.strip_prefix(links.base()).map_or(path.clone(), str::to_owned)
}

fn wants_json(req: &Request<'_>) -> bool {
    req.uri().path().ends_with("/status")
        || req
            .headers()
            .get_one("Accept")
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Why a story was not started, for the form and the API alike: the status, the API's error code, and the words the
/// storyteller reads.
pub(crate) fn start_refused(app: &App, e: &StartError) -> (Status, &'static str, String) {
    match e {
        StartError::BadNumber(err) => (
            Status::UnprocessableEntity,
            "invalid_phone",
            words::phone_error(err).into(),
        ),
        StartError::NumberRefused(err) => (
            Status::UnprocessableEntity,
            "number_not_allowed",
            words::number_refused(err, app.guard.allowed_countries()),
        ),
        StartError::Place(err) => {
            let (status, code) = match err {
                PlaceError::Refused(_) => (Status::UnprocessableEntity, "number_refused"),
                PlaceError::Limited(Limit::Service(_)) => (Status::ServiceUnavailable, "service_busy"),
                PlaceError::Limited(_) => (Status::TooManyRequests, "rate_limited"),
                PlaceError::Unavailable(_) => (Status::ServiceUnavailable, "unavailable"),
                PlaceError::Internal(why) => {
                    tracing::error!("placing a call failed: {why}");
                    (Status::InternalServerError, "internal")
                }
            };
            (status, code, words::place_error(err).into())
        }
    }
}

/// The story flow's errors as HTTP statuses.
pub(crate) fn status_of(e: &StoryError) -> Status {
    match e {
        StoryError::NotFound => Status::NotFound,
        StoryError::BadWebhook(_) => Status::BadRequest,
        // Twilio retries a webhook that fails; so does a page.
        StoryError::Busy => Status::ServiceUnavailable,
        StoryError::Store(err) => {
            tracing::error!("storage error: {err}");
            Status::InternalServerError
        }
    }
}

/// Not found: a friendly page for people, JSON for the status route and the API.
#[catch(404)]
fn not_found(req: &Request<'_>) -> Result<Json<Value>, RawHtml<String>> {
    if relative_path(req).starts_with("/api/") {
        Ok(Json(api::error_body("not_found", "There is nothing at this address.")))
    } else if wants_json(req) {
        Ok(Json(
            json!({"error": "not_found", "message": "No recording with this id."}),
        ))
    } else {
        Err(RawHtml(crate::pages::not_found(&links(req)).into_string()))
    }
}

/// A deleted story: its page says so; the status route and the API answer JSON.
#[catch(410)]
fn gone(req: &Request<'_>) -> Result<Json<Value>, RawHtml<String>> {
    if relative_path(req).starts_with("/api/") {
        Ok(Json(api::error_body("deleted", "This story was deleted.")))
    } else if wants_json(req) {
        Ok(Json(json!({"error": "deleted", "message": "This story was deleted."})))
    } else {
        Err(RawHtml(crate::pages::deleted(&links(req)).into_string()))
    }
}

/// Rocket answers 422 when a path parameter does not parse: a malformed recording id is simply a recording that
/// does not exist, so it gets the same friendly 404.
#[catch(422)]
fn unprocessable(req: &Request<'_>) -> (Status, Result<Json<Value>, RawHtml<String>>) {
    let path = relative_path(req);
    if path.starts_with("/recording/") || path.starts_with("/api/v1/stories/") {
        (Status::NotFound, not_found(req))
    } else {
        (
            Status::UnprocessableEntity,
            Err(RawHtml(crate::pages::server_error(&links(req)).into_string())),
        )
    }
}

/// The API answers JSON whatever went wrong; everything else keeps its plain answer.
fn api_or<T>(req: &Request<'_>, code: &str, message: &str, other: T) -> Result<Json<Value>, T> {
    if relative_path(req).starts_with("/api/") {
        Ok(Json(api::error_body(code, message)))
    } else {
        Err(other)
    }
}

#[catch(400)]
fn bad_request(req: &Request<'_>) -> Result<Json<Value>, &'static str> {
    api_or(req, "bad_request", "The request could not be read.", "Bad request")
}

#[catch(403)]
fn forbidden(req: &Request<'_>) -> Result<Json<Value>, &'static str> {
    api_or(req, "forbidden", "This request is not allowed.", "Forbidden")
}

#[catch(413)]
fn too_large(req: &Request<'_>) -> Result<Json<Value>, &'static str> {
    api_or(req, "too_large", "The request body is too large.", "Payload too large")
}

#[catch(500)]
fn server_error(req: &Request<'_>) -> Result<Json<Value>, RawHtml<String>> {
    api_or(
        req,
        "internal",
        "Something went wrong on our side.",
        RawHtml(crate::pages::server_error(&links(req)).into_string()),
    )
}

/// Whether a request is Storyline's: under its mount path (segment by segment: `/stories` is not `/storyteller`).
pub(crate) fn is_ours(links: &Links, path: &str) -> bool {
    let base = links.base();
    base.is_empty() || path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

/// Security headers on Storyline's answers: a CSP with no inline script, no framing, no referrer for other sites, no
/// sniffing, and HSTS when the configured public URL is `https`. A host's own routes keep the host's headers.
pub(crate) fn security_headers(app: &App, req: &Request<'_>, res: &mut Response<'_>) {
    if !is_ours(&app.links, req.uri().path().as_str()) {
        return;
    }
    res.set_raw_header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
         connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    res.set_raw_header("X-Frame-Options", "DENY");
    res.set_raw_header("X-Content-Type-Options", "nosniff");
    // Other sites never learn a recording's URL; the site's own form posts keep their `Origin`, which the cross-site
    // check reads (`no-referrer` would turn it into `Origin: null`).
    res.set_raw_header("Referrer-Policy", "same-origin");
    // Only the configured public URL says whether browsers reach us over HTTPS: a request header could be forged,
    // and HSTS sent over plain HTTP would be ignored anyway.
    if app
        .public_url()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        res.set_raw_header("Strict-Transport-Security", "max-age=31536000");
    }
    if res.status() == Status::NotFound && res.content_type().is_none() {
        res.set_header(ContentType::HTML);
    }
    // A recording's page, status and live stream show a person's story and number: no cache, shared or not, keeps
    // them (the stream's own `no-cache` still lets a cache store it). Its audio says for itself how it may be kept.
    let path = relative_path(req);
    if path.starts_with("/recording/") && !path.ends_with("/audio") {
        res.set_raw_header("Cache-Control", "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_the_mount_point_are_storylines() {
        let links = Links::new("/stories");
        assert!(is_ours(&links, "/stories"));
        assert!(is_ours(&links, "/stories/recording/x"));
        assert!(!is_ours(&links, "/storyteller"));
        assert!(!is_ours(&links, "/"));
        assert!(!is_ours(&links, "/about"));
        assert!(is_ours(&Links::new("/"), "/anything"));
    }
}
