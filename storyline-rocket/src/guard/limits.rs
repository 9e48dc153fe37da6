//! How many calls one number receives, and one client asks for, in an hour: counted from the recordings table, so the
//! limits hold across restarts, and checked in the same statement that inserts the recording, so concurrent requests
//! cannot slip past them together.

use std::net::IpAddr;

use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use sqlx::SqlitePool;

use crate::db::RecordingRow;

/// The window the limits count over.
const WINDOW_MS: i64 = 60 * 60 * 1000;

/// The client a request comes from, as the limits count it: Rocket's client IP (the `ROCKET_IP_HEADER` header when
/// present, else the peer address), with an IPv6 address reduced to its /64 network, which one subscriber holds whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(String);

impl ClientAddress {
    /// The stored form: a dotted IPv4 address, or an IPv6 /64 network such as `2001:db8:1:2::/64`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<IpAddr> for ClientAddress {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientAddress(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddress(v4.to_string()),
                None => {
                    let network = u128::from(v6) & (u128::MAX << 64);
                    ClientAddress(format!("{}/64", std::net::Ipv6Addr::from(network)))
                }
            },
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.client_ip() {
            Some(ip) => request::Outcome::Success(ip.into()),
            None => request::Outcome::Forward(Status::Ok),
        }
    }
}

/// Which limit a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `STORYLINE_CALLS_PER_NUMBER_PER_HOUR`.
    Number,
    /// `STORYLINE_CALLS_PER_ADDRESS_PER_HOUR`.
    Address,
}

impl Limit {
    /// What the form says, in plain words.
    pub fn words(self) -> &'static str {
        match self {
            Limit::Number => {
                "We've called this number several times in the last hour. Please wait a little before trying again."
            }
            Limit::Address => {
                "We've placed a lot of calls from your connection in the last hour. Please wait a little before trying again."
            }
        }
    }
}

/// Why a recording was not inserted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdmitError {
    /// A limit is reached: nothing was inserted.
    #[error("the per-{} hourly call limit is reached", match .0 { Limit::Number => "number", Limit::Address => "address" })]
    Limited(Limit),
    /// The database failed.
    #[error("storage error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The hourly limits; 0 turns one off.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Calls to one number.
    pub per_number: u32,
    /// Calls asked for by one client address.
    pub per_address: u32,
}

impl Limits {
    /// Inserts a new recording (with the client's address) unless the number or the address already had its share of
    /// calls in the last hour. A recording whose call Twilio refused is deleted and so does not count.
    pub async fn insert(
        &self,
        pool: &SqlitePool,
        row: &RecordingRow,
        address: Option<&ClientAddress>,
    ) -> Result<(), AdmitError> {
        let since = row.created_at - WINDOW_MS;
        let address = address.map(ClientAddress::as_str);
        // One statement: SQLite takes the write lock before it counts, so the count and the insert are one step.
        let inserted = sqlx::query(
            "INSERT INTO recordings (id, phone, phone_display, call_sid, status, state, created_at, updated_at, address) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             WHERE (?10 = 0 OR (SELECT COUNT(*) FROM recordings WHERE phone = ?2 AND created_at > ?12) < ?10) \
               AND (?11 = 0 OR ?9 IS NULL \
                    OR (SELECT COUNT(*) FROM recordings WHERE address = ?9 AND created_at > ?12) < ?11)",
        )
        .bind(&row.id)
        .bind(&row.phone)
        .bind(&row.phone_display)
        .bind(&row.call_sid)
        .bind(&row.status)
        .bind(&row.state)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(address)
        .bind(self.per_number)
        .bind(self.per_address)
        .bind(since)
        .execute(pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(());
        }
        let (to_number,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recordings WHERE phone = ? AND created_at > ?")
            .bind(&row.phone)
            .bind(since)
            .fetch_one(pool)
            .await?;
        let limit = if self.per_number > 0 && to_number >= i64::from(self.per_number) {
            Limit::Number
        } else {
            Limit::Address
        };
        Err(AdmitError::Limited(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_count_alone() {
        let a: IpAddr = "203.0.113.7".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "203.0.113.7");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("an address");
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().expect("an address");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "2001:db8:1:2::/64");
        assert_eq!(ClientAddress::from(a), ClientAddress::from(b));
        assert_ne!(ClientAddress::from(a), ClientAddress::from(c));
    }

    #[test]
    fn ipv4_mapped_ipv6_counts_as_the_ipv4_address() {
        let a: IpAddr = "::ffff:203.0.113.7".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "203.0.113.7");
    }
}
