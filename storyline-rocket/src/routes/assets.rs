//! Static assets, compiled into the binary so the server needs no files beside it.

use rocket::http::{ContentType, Header};
use rocket::{Responder, Route, get, routes};

#[derive(Responder)]
struct Asset {
    body: &'static str,
    content_type: ContentType,
    cache: Header<'static>,
}

fn asset(body: &'static str, content_type: ContentType) -> Asset {
    Asset {
        body,
        content_type,
        cache: Header::new("Cache-Control", "public, max-age=3600"),
    }
}

#[get("/static/app.css")]
fn css() -> Asset {
    asset(include_str!("../../static/app.css"), ContentType::CSS)
}

#[get("/static/app.js")]
fn js() -> Asset {
    asset(include_str!("../../static/app.js"), ContentType::JavaScript)
}

pub fn routes() -> Vec<Route> {
    routes![css, js]
}
