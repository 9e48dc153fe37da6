//! Keeps the form from becoming a weapon: the server calls whatever number is typed, so it calls only numbers of the
//! allowed countries on lines a person answers ([`numbers`]), only so often per number and per client ([`limits`]),
//! never faster than the Twilio account places calls ([`Guard::call_interval_ms`], a pace the store keeps for every
//! instance), and only for forms posted from its own page
//! ([`origin`]).

mod limits;
mod numbers;
mod origin;

use std::time::Duration;

use storyline_core::PhoneNumber;
use storyline_core::phone::Region;

use crate::config::Settings;
pub(crate) use limits::{ClientAddress, Limits};
pub(crate) use numbers::NumberRefused;
pub(crate) use origin::{CrossSite, check as check_origin};

/// The longest a form request waits for its call's turn; a longer wait is spent on the recording page instead.
pub(crate) const HOLD_FORM_AT_MOST: Duration = Duration::from_secs(3);

/// The longest queue of calls waiting their turn. Beyond it the form says to try again in a minute: a storyteller
/// should not wait minutes for the phone to ring, and a burst of requests must not build an endless queue.
pub(crate) const QUEUE_AT_MOST: Duration = Duration::from_secs(60);

/// Settings the guard cannot work with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum GuardConfigError {
    /// `STORYLINE_ALLOWED_COUNTRIES` names a code libphonenumber does not know.
    #[error("STORYLINE_ALLOWED_COUNTRIES: unknown country code `{0}`")]
    UnknownCountry(String),
    /// `STORYLINE_ALLOWED_COUNTRIES` is empty: no call could ever be placed.
    #[error("STORYLINE_ALLOWED_COUNTRIES names no country")]
    NoCountry,
    /// `STORYLINE_CALLS_PER_SECOND` is not a positive number.
    #[error("STORYLINE_CALLS_PER_SECOND must be a positive number, not {0}")]
    CallsPerSecond(f64),
}

/// The abuse limits, shared by every request (it lives in the app).
#[derive(Debug)]
pub(crate) struct Guard {
    allowed: Vec<Region>,
    /// The hourly limits.
    pub limits: Limits,
    /// The least time between two calls, in milliseconds: the account's calls per second, rounded so as never to
    /// exceed it.
    pub call_interval_ms: i64,
}

impl Guard {
    /// Reads the guard's settings.
    pub(crate) fn new(settings: &Settings) -> Result<Guard, GuardConfigError> {
        let allowed = settings
            .allowed_countries
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse::<Region>()
                    .map_err(|_| GuardConfigError::UnknownCountry(c.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if allowed.is_empty() {
            return Err(GuardConfigError::NoCountry);
        }
        let cps = settings.calls_per_second;
        // Below one call an hour the pacer's interval stops meaning anything.
        if !cps.is_finite() || cps < 1.0 / 3600.0 {
            return Err(GuardConfigError::CallsPerSecond(cps));
        }
        Ok(Guard {
            allowed,
            limits: Limits {
                per_number: settings.calls_per_number_per_hour,
                per_address: settings.calls_per_address_per_hour,
            },
            call_interval_ms: (1000.0 / cps).ceil() as i64,
        })
    }

    /// The countries whose numbers may be called.
    pub(crate) fn allowed_countries(&self) -> &[Region] {
        &self.allowed
    }

    /// Refuses numbers of other countries and lines that cost extra or do not ring a person.
    pub(crate) fn check_number(&self, number: &PhoneNumber) -> Result<(), NumberRefused> {
        numbers::check(number, &self.allowed).inspect_err(|e| tracing::info!("refused to call a number: {e}"))
    }
}
