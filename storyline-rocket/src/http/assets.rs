//! Static assets, compiled into the binary ([`crate::pages::assets`]) so the server needs no files beside it.

use rocket::http::{ContentType, Header};
use rocket::{Responder, Route, get, routes};

use crate::pages::assets::{self, Asset};

#[derive(Responder)]
struct Served {
    body: &'static [u8],
    content_type: ContentType,
    cache: Header<'static>,
}

/// Fonts never change under a name, and the pages link the style sheet and script with a fingerprint: all may be kept
/// for a year.
fn serve(asset: &'static Asset) -> Served {
    Served {
        body: asset.body,
        content_type: ContentType::parse_flexible(asset.media_type).unwrap_or(ContentType::Binary),
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
    }
}

#[get("/static/app.css")]
fn css() -> Served {
    serve(&assets::CSS)
}

#[get("/static/app.js")]
fn js() -> Served {
    serve(&assets::JS)
}

#[get("/static/icon.svg")]
fn icon() -> Served {
    serve(&assets::ICON)
}

#[get("/static/fonts/<name>")]
fn font(name: &str) -> Option<Served> {
    assets::font_named(name).map(serve)
}

/// The private recording pages are kept out of search engines (they also say `noindex`).
#[get("/robots.txt")]
fn robots() -> (ContentType, &'static str) {
    (ContentType::Plain, "User-agent: *\nDisallow: /recording/\n")
}

/// The assets; the robots file too when Storyline is the whole site.
pub(super) fn routes(at_root: bool) -> Vec<Route> {
    let mut r = routes![css, js, icon, font];
    if at_root {
        r.extend(routes![robots]);
    }
    r
}
