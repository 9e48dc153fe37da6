//! Twilio's REST error body, as the sandbox answers it.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::{Json, json};

/// A Twilio REST error: `{"code", "message", "more_info", "status"}` with the HTTP status.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: Status,
    code: u32,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status: Status::new(status),
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad(code: u32, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub(crate) fn not_found(path: &str) -> Self {
        Self::new(404, 20404, format!("The requested resource {path} was not found"))
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.code,
        });
        Response::build_from(Json(body).respond_to(req)?)
            .status(self.status)
            .ok()
    }
}
