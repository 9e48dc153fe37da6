//! The browser that asked for a story: the only one shown its full phone number. The form gives the browser a random
//! token in a cookie (once), and the recording keeps the token's SHA-256; anyone else who holds the page's link (a
//! forwarded message, a shared screen, a browser history) sees the number masked, on the page, in the status JSON and
//! in the live stream.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::request::{self, FromRequest, Request};
use sha2::Digest as _;

use crate::app::App;
use crate::store::StoredRecording;

/// The cookie's name.
pub(crate) const COOKIE: &str = "storyline_browser";

/// How long a browser keeps its token: after that, its own older stories show the number masked too.
const KEPT_DAYS: i64 = 30;

/// The token a browser carries, if it carries a well-formed one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Browser {
    token: Option<String>,
}

/// A token: 128 random bits, in hex.
fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a recording keeps of a token.
fn digest(token: &str) -> String {
    let hash = sha2::Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl Browser {
    /// The browser's token, given to it now if it has none: what a new recording keeps as its owner. `None` only if
    /// no random token could be made (the story is then shown masked everywhere, which is safe).
    pub(crate) fn claim(&mut self, jar: &CookieJar<'_>, app: &App) -> Option<String> {
        if self.token.is_none() {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).ok()?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let cookie = Cookie::build((COOKIE, token.clone()))
                .path(app.links.home().to_owned())
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(app.public_url().starts_with("https://"))
                .max_age(rocket::time::Duration::days(KEPT_DAYS));
            jar.add(cookie);
            self.token = Some(token);
        }
        self.token.as_deref().map(digest)
    }

    /// Whether this browser asked for the recording.
    pub(crate) fn owns(&self, row: &StoredRecording) -> bool {
        self.owns_digest(row.owner.as_deref())
    }

    fn owns_digest(&self, owner: Option<&str>) -> bool {
        match (&self.token, owner) {
            (Some(token), Some(owner)) => digest(token) == owner,
            _ => false,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Browser {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let token = req
            .cookies()
            .get(COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| well_formed(t));
        request::Outcome::Success(Browser { token })
    }
}

/// A phone number as someone other than the storyteller sees it: every digit but the last four hidden, the
/// punctuation kept (`917-555-2368` is `•••-•••-2368`).
pub(crate) fn masked(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 4 <= digits { '•' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_but_the_last_four_digits_are_hidden() {
        assert_eq!(masked("917-555-2368"), "•••-•••-2368");
        assert_eq!(masked("+1 (201) 555-0100"), "+• (•••) •••-0100");
        assert_eq!(masked("2015550100"), "••••••0100");
    }

    #[test]
    fn only_well_formed_tokens_are_read() {
        assert!(well_formed("0123456789abcdef0123456789ABCDEF"));
        assert!(!well_formed("0123"));
        assert!(!well_formed("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn a_recording_is_owned_by_the_browser_whose_token_it_keeps() {
        let token = "0123456789abcdef0123456789abcdef".to_owned();
        let browser = Browser {
            token: Some(token.clone()),
        };
        assert_eq!(digest(&token).len(), 64);
        assert_ne!(digest(&token), token, "the token itself is never kept");
        assert!(!Browser::default().owns_digest(Some(&digest(&token))));
        assert!(browser.owns_digest(Some(&digest(&token))));
        assert!(!browser.owns_digest(Some(&digest("ffffffffffffffffffffffffffffffff"))));
        assert!(!browser.owns_digest(None));
    }
}
