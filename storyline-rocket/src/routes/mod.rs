//! Routes: the storyteller's pages (`pages`), Twilio's webhooks (`webhooks`), and the static assets.

mod assets;
mod pages;
mod webhooks;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::request::{FromParam, Request};
use rocket::response::content::RawHtml;
use rocket::serde::json::{Json, Value, json};
use rocket::{Catcher, Response, Route, catch, catchers};
use storyline_core::RecordingId;

pub fn routes() -> Vec<Route> {
    let mut r = pages::routes();
    r.extend(webhooks::routes());
    r.extend(assets::routes());
    r
}

pub fn catchers() -> Vec<Catcher> {
    catchers![
        not_found,
        unprocessable,
        server_error,
        forbidden,
        too_large,
        bad_request
    ]
}

/// A recording id from the path: only well-formed ids reach a handler; anything else is a 404.
pub struct Id(pub RecordingId);

impl<'a> FromParam<'a> for Id {
    type Error = ();

    fn from_param(param: &'a str) -> Result<Self, ()> {
        param.parse().map(Id).map_err(|_| ())
    }
}

fn wants_json(req: &Request<'_>) -> bool {
    req.uri().path().ends_with("/status")
        || req
            .headers()
            .get_one("Accept")
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Not found: a friendly page for people, a JSON 404 for the status route.
#[catch(404)]
fn not_found(req: &Request<'_>) -> Result<Json<Value>, RawHtml<String>> {
    if wants_json(req) {
        Ok(Json(
            json!({"error": "not_found", "message": "No recording with this id."}),
        ))
    } else {
        Err(RawHtml(crate::pages::not_found().into_string()))
    }
}

/// Rocket answers 422 when a path parameter does not parse: a malformed recording id is simply a recording that
/// does not exist, so it gets the same friendly 404.
#[catch(422)]
fn unprocessable(req: &Request<'_>) -> (Status, Result<Json<Value>, RawHtml<String>>) {
    if req.uri().path().starts_with("/recording/") {
        (Status::NotFound, not_found(req))
    } else {
        (
            Status::UnprocessableEntity,
            Err(RawHtml(crate::pages::server_error().into_string())),
        )
    }
}

#[catch(400)]
fn bad_request() -> &'static str {
    "Bad request"
}

#[catch(403)]
fn forbidden() -> &'static str {
    "Forbidden"
}

#[catch(413)]
fn too_large() -> &'static str {
    "Payload too large"
}

#[catch(500)]
fn server_error() -> RawHtml<String> {
    RawHtml(crate::pages::server_error().into_string())
}

/// Security headers on every answer: a CSP with no inline script, no framing, no referrer for other sites, no sniffing,
/// and HSTS when the configured public URL is `https`.
pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
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
        if req.rocket().state::<crate::App>().is_some_and(|app| {
            app.public_url()
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        }) {
            res.set_raw_header("Strict-Transport-Security", "max-age=31536000");
        }
        if res.status() == Status::NotFound && res.content_type().is_none() {
            res.set_header(ContentType::HTML);
        }
    }
}
