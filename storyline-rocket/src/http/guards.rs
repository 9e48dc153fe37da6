//! Request guards: handlers receive only valid values. A well-formed recording id ([`Id`]), the client's address
//! ([`ClientAddress`]), a form posted from Storyline's own page ([`SameOrigin`]), a webhook signed by Twilio for the
//! configured public URL ([`Signed`]), and the API's bearer key ([`ApiKey`]).

use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::http::Status;
use rocket::request::{self, FromParam, FromRequest, Request};
use storyline_core::RecordingId;
use subtle::ConstantTimeEq as _;

use crate::abuse::{self, ClientAddress, CrossSite};
use crate::app::App;

/// A recording id from the path: only well-formed ids reach a handler; anything else is a 404.
pub(crate) struct Id(pub RecordingId);

impl<'a> FromParam<'a> for Id {
    type Error = ();

    fn from_param(param: &'a str) -> Result<Self, ()> {
        param.parse().map(Id).map_err(|_| ())
    }
}

impl Id {
    /// The span a request about this recording runs in: its log tag, never the id.
    pub(crate) fn span(&self, route: &'static str) -> tracing::Span {
        tracing::info_span!("request", route, recording = %self.0.log_tag())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let (Some(peer), Some(app)) = (req.remote(), req.rocket().state::<App>()) else {
            return request::Outcome::Forward(Status::Ok);
        };
        let forwarded = req.headers().get_one("X-Forwarded-For");
        request::Outcome::Success(app.guard.client(peer.ip(), req.real_ip(), forwarded))
    }
}

/// The request is not a cross-site post (see `abuse::check_origin`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SameOrigin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = CrossSite;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, CrossSite> {
        let Some(app) = req.rocket().state::<App>() else {
            return request::Outcome::Forward(Status::InternalServerError);
        };
        let public_url = app.public_url();
        let headers = req.headers();
        let host = req.host().map(|h| {
            let domain = h.domain().as_str();
            // An IPv6 address, as a URL's host, is written in brackets.
            let domain = if domain.contains(':') && !domain.starts_with('[') {
                format!("[{domain}]")
            } else {
                domain.to_owned()
            };
            (domain, h.port())
        });
        match abuse::check_origin(
            headers.get_one("Sec-Fetch-Site"),
            headers.get_one("Origin"),
            headers.get_one("Referer"),
            public_url,
            host.as_ref().map(|(d, p)| (d.as_str(), *p)),
        ) {
            Ok(()) => request::Outcome::Success(SameOrigin),
            Err(e) => {
                // The path can name a recording (its retry form): log the route, not the path.
                tracing::warn!(route = %req.route().map_or("?".to_owned(), |r| r.uri.to_string()), "{e}");
                request::Outcome::Error((Status::Forbidden, e))
            }
        }
    }
}

/// A webhook's form parameters, accepted only with a valid `X-Twilio-Signature` for the configured public URL.
pub(crate) struct Signed(pub Vec<(String, String)>);

/// Twilio's webhook bodies are small; anything larger is not Twilio.
const MAX_WEBHOOK_BODY: u64 = 64 * 1024;

#[rocket::async_trait]
impl<'r> FromData<'r> for Signed {
    type Error = &'static str;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        let Some(app) = req.rocket().state::<App>() else {
            return DataOutcome::Error((Status::InternalServerError, "no app"));
        };
        let body = match super::read_body(data, MAX_WEBHOOK_BODY.bytes())
            .await
            .map(String::from_utf8)
        {
            Ok(Ok(body)) => body,
            Ok(Err(_)) => return DataOutcome::Error((Status::BadRequest, "not UTF-8")),
            Err(e) => return DataOutcome::Error((e.status(), "body not read")),
        };
        let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&body) else {
            return DataOutcome::Error((Status::BadRequest, "not a form"));
        };
        // The URL Twilio signed is the one we gave it: the configured public base and the path it was sent to (which
        // includes the mount path), never the host or scheme we see.
        let url = format!("{}{}", app.public_url(), req.uri());
        let signature = req.headers().get_one("X-Twilio-Signature");
        let settings = req.headers().get_one("X-Twilio-Webhooks-Signature-Settings");
        match app.validator.validate_form(&url, &pairs, signature, settings) {
            Ok(()) => DataOutcome::Success(Signed(pairs)),
            Err(e) => {
                // The path names the recording: log the route, not the URL.
                tracing::warn!(route = %req.route().map_or("?".to_owned(), |r| r.uri.to_string()), "refused a webhook: {e}");
                DataOutcome::Error((Status::Forbidden, "bad signature"))
            }
        }
    }
}

/// The API's caller: `Authorization: Bearer <STORYLINE_API_KEY>`, compared in constant time.
pub(crate) struct ApiKey;

/// Why the API refused a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiAuthError {
    /// No API key is configured: the API does not exist.
    Off,
    /// No key, or the wrong one.
    Unauthorized,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiKey {
    type Error = ApiAuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ApiAuthError> {
        let Some(expected) = req
            .rocket()
            .state::<App>()
            .and_then(|app| app.settings.api_key.as_deref())
        else {
            return request::Outcome::Error((Status::NotFound, ApiAuthError::Off));
        };
        let given = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .unwrap_or("");
        if !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            request::Outcome::Success(ApiKey)
        } else {
            request::Outcome::Error((Status::Unauthorized, ApiAuthError::Unauthorized))
        }
    }
}
