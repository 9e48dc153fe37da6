//! Keeps the form from becoming a weapon: the server calls whatever number is typed, so it calls only numbers of the
//! allowed countries on lines a person answers ([`numbers`]), only so often per number and per client ([`limits`]),
//! never faster than the Twilio account places calls ([`Guard::call_interval_ms`], a pace the store keeps for every
//! instance), and only for forms posted from its own page
//! ([`origin`]).

mod limits;
mod numbers;
mod origin;
pub(crate) mod streams;

use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use storyline_core::PhoneNumber;
use storyline_core::phone::Region;

use crate::config::Settings;
use crate::store::{CallLimits, Limit};
pub(crate) use limits::ClientAddress;
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
    /// `STORYLINE_TRUSTED_PROXIES` names something that is not an address or a network.
    #[error("STORYLINE_TRUSTED_PROXIES: `{0}` is not an IP address or network (such as 10.0.0.0/8)")]
    TrustedProxy(String),
    /// `STORYLINE_CALLS_PER_SECOND` is not a positive number.
    #[error("STORYLINE_CALLS_PER_SECOND must be a positive number, not {0}")]
    CallsPerSecond(f64),
}

/// The abuse limits, shared by every request (it lives in the app).
#[derive(Debug)]
pub(crate) struct Guard {
    allowed: Vec<Region>,
    /// The limits on calls, per number, per address and for the whole service.
    pub limits: CallLimits,
    /// The proxies believed about their clients' addresses.
    trusted: Vec<ipnet::IpNet>,
    /// The least time between two calls, in milliseconds: the account's calls per second, rounded so as never to
    /// exceed it.
    pub call_interval_ms: i64,
    /// When this instance last told the operator that each budget is spent (milliseconds since the epoch).
    budget_warned: [AtomicI64; 4],
    /// The live status streams this instance holds open.
    pub streams: streams::Streams,
}

/// How often one instance repeats that a budget is spent, while it stays spent.
const BUDGET_WARNING_EVERY_MS: i64 = 10 * 60 * 1000;

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
        let trusted = settings
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| GuardConfigError::TrustedProxy(p.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Guard {
            allowed,
            trusted,
            limits: CallLimits {
                number_per_hour: settings.calls_per_number_per_hour,
                number_per_day: settings.calls_per_number_per_day,
                unanswered_in_a_row: settings.unanswered_in_a_row,
                address_per_hour: settings.calls_per_address_per_hour,
                service_calls_per_hour: settings.service_calls_per_hour,
                service_calls_per_day: settings.service_calls_per_day,
                service_minutes_per_hour: settings.service_minutes_per_hour,
                service_minutes_per_day: settings.service_minutes_per_day,
                call_seconds_at_most: settings.call_time_limit_secs(),
            },
            call_interval_ms: (1000.0 / cps).ceil() as i64,
            budget_warned: Default::default(),
            streams: streams::Streams::default(),
        })
    }

    /// The client a request comes from: the peer, unless the peer is a trusted proxy, which is believed about its
    /// client (`real_ip`: the proxy's header; `forwarded_for`: `X-Forwarded-For`, read from the right, past the
    /// trusted proxies).
    pub(crate) fn client(&self, peer: IpAddr, real_ip: Option<IpAddr>, forwarded_for: Option<&str>) -> ClientAddress {
        let trusted = |ip: &IpAddr| self.trusted.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer.into();
        }
        if let Some(ip) = real_ip {
            return ip.into();
        }
        forwarded_for
            .into_iter()
            .flat_map(|h| h.rsplit(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
            .into()
    }

    /// Notes a call refused over a limit: the whole service's budgets tell the operator (once in a while, not once
    /// per request), the others are a storyteller's or a client's own.
    pub(crate) fn refused(&self, limit: Limit) {
        let Limit::Service(budget) = limit else {
            tracing::info!(?limit, "refused a call over a limit");
            return;
        };
        let now = crate::store::now_ms();
        let last = &self.budget_warned[budget as usize];
        let before = last.load(Ordering::Relaxed);
        if now - before >= BUDGET_WARNING_EVERY_MS
            && last
                .compare_exchange(before, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                budget = budget.setting(),
                "the service's call budget is spent: new stories are refused with a \"we're very busy\" page until \
                 calls fall below {} (raise it, or set it to 0 to turn it off)",
                budget.setting()
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(trusted: &str) -> Guard {
        Guard::new(&Settings {
            trusted_proxies: trusted.into(),
            ..Settings::default()
        })
        .expect("a guard")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_about_its_client() {
        let none = guard("");
        let claim = Some(ip("198.51.100.1"));
        assert_eq!(
            none.client(ip("203.0.113.5"), claim, Some("198.51.100.2")).as_str(),
            "203.0.113.5"
        );
        let some = guard("203.0.113.0/24, 10.1.2.3");
        assert_eq!(some.client(ip("203.0.113.5"), claim, None).as_str(), "198.51.100.1");
        assert_eq!(some.client(ip("192.0.2.9"), claim, None).as_str(), "192.0.2.9");
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_past_trusted_proxies() {
        let g = guard("203.0.113.0/24,10.1.2.3");
        let peer = ip("203.0.113.5");
        // What the client wrote itself (leftmost) is not believed; the first hop a trusted proxy saw is.
        assert_eq!(
            g.client(peer, None, Some("1.2.3.4, 198.51.100.7, 10.1.2.3")).as_str(),
            "198.51.100.7"
        );
        // Garbage hops are skipped; a chain of only proxies leaves the peer.
        assert_eq!(
            g.client(peer, None, Some("junk, 198.51.100.8")).as_str(),
            "198.51.100.8"
        );
        assert_eq!(g.client(peer, None, Some("10.1.2.3")).as_str(), "203.0.113.5");
        assert_eq!(g.client(peer, None, None).as_str(), "203.0.113.5");
    }
}
