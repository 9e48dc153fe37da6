//! `GET Calls.json`: the filters Twilio documents for listing calls (`To`, `From`, `Status`, `StartTime`, `StartTime>`,
//! `StartTime<`, the same for `EndTime`) and its pages (`PageSize`, `Page`).
//!
//! A value is a UTC date (`2009-07-06`) or an RFC 3339 time (`2009-07-06T18:03:40Z`), as the helper libraries send
//! them. The query string `StartTime>=2009-07-06` is the key `StartTime>` with the value `2009-07-06`: Twilio's
//! "on or after"; `StartTime<` is "before"; `StartTime` is "on that UTC date".

use storyline_core::PhoneNumber;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::error::ApiError;
use crate::records::{CallRecord, CallStatus};

/// Twilio's default page size, and its largest.
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

/// Limits on one of a call's times (`start_time` or `end_time`).
#[derive(Debug, Default, PartialEq)]
struct Bounds {
    on: Option<Date>,
    on_or_after: Option<OffsetDateTime>,
    before: Option<OffsetDateTime>,
}

impl Bounds {
    fn admits(&self, t: Option<OffsetDateTime>) -> bool {
        if *self == Bounds::default() {
            return true;
        }
        // A call that has not reached that point (queued, or still running) has no such time and matches no limit.
        let Some(t) = t else { return false };
        self.on.is_none_or(|d| t.to_offset(time::UtcOffset::UTC).date() == d)
            && self.on_or_after.is_none_or(|a| t >= a)
            && self.before.is_none_or(|b| t < b)
    }
}

/// What a `GET Calls.json` asked for.
#[derive(Debug)]
pub(crate) struct CallFilter {
    to: Option<String>,
    from: Option<String>,
    status: Option<CallStatus>,
    start: Bounds,
    end: Bounds,
    pub page_size: usize,
    pub page: usize,
    /// The filters as given, to repeat them in the page URIs.
    kept: Vec<(String, String)>,
}

fn bad(name: &str, value: &str) -> ApiError {
    ApiError::bad(20001, format!("Invalid {name}: {value}"))
}

/// A date or a time: the date's midnight UTC stands for it where a time is needed.
fn when(name: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(t.to_offset(time::UtcOffset::UTC));
    }
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| bad(name, value))
}

/// A number as Twilio compares it: the E.164 form when it reads as a phone number.
fn number(value: &str) -> String {
    value
        .parse::<PhoneNumber>()
        .map_or_else(|_| value.to_owned(), |n| n.e164().to_owned())
}

impl CallFilter {
    /// Reads the query string's pairs; unknown names are ignored, as Twilio ignores them.
    pub(crate) fn from_query(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut f = CallFilter {
            to: None,
            from: None,
            status: None,
            start: Bounds::default(),
            end: Bounds::default(),
            page_size: DEFAULT_PAGE_SIZE,
            page: 0,
            kept: Vec::new(),
        };
        for (name, value) in pairs {
            let bounds = if name.starts_with("Start") {
                &mut f.start
            } else {
                &mut f.end
            };
            match name.as_str() {
                "To" => f.to = Some(number(value)),
                "From" => f.from = Some(number(value)),
                "Status" => f.status = Some(CallStatus::parse(value).ok_or_else(|| bad(name, value))?),
                "StartTime" | "EndTime" => bounds.on = Some(when(name, value)?.date()),
                "StartTime>" | "EndTime>" => bounds.on_or_after = Some(when(name, value)?),
                "StartTime<" | "EndTime<" => bounds.before = Some(when(name, value)?),
                "PageSize" => {
                    let size: usize = value.parse().map_err(|_| bad(name, value))?;
                    f.page_size = size.clamp(1, MAX_PAGE_SIZE);
                    continue;
                }
                "Page" => {
                    f.page = value.parse().map_err(|_| bad(name, value))?;
                    continue;
                }
                _ => continue,
            }
            f.kept.push((name.clone(), value.clone()));
        }
        Ok(f)
    }

    pub(crate) fn admits(&self, call: &CallRecord) -> bool {
        self.to.as_ref().is_none_or(|to| *to == call.to)
            && self.from.as_ref().is_none_or(|from| *from == call.from)
            && self.status.is_none_or(|s| s == call.status)
            && self.start.admits(call.start_time)
            && self.end.admits(call.end_time)
    }

    /// The URI of page `page` of this list, with the same filters.
    pub(crate) fn page_uri(&self, path: &str, page: usize) -> String {
        let mut pairs = self.kept.clone();
        pairs.push(("PageSize".into(), self.page_size.to_string()));
        pairs.push(("Page".into(), page.to_string()));
        format!("{path}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: &str) -> Result<CallFilter, ApiError> {
        CallFilter::from_query(&serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap())
    }

    fn at(rfc3339: &str) -> Option<OffsetDateTime> {
        Some(OffsetDateTime::parse(rfc3339, &Rfc3339).unwrap())
    }

    #[test]
    fn start_time_after_is_on_or_after_and_before_is_strictly_before() {
        let f = filter("StartTime>=2025-01-14T18:00:00Z&StartTime<=2025-01-15").unwrap();
        assert!(f.start.admits(at("2025-01-14T18:00:00Z")));
        assert!(f.start.admits(at("2025-01-14T23:59:59Z")));
        assert!(!f.start.admits(at("2025-01-14T17:59:59Z")));
        assert!(!f.start.admits(at("2025-01-15T00:00:00Z")));
        assert!(!f.start.admits(None), "a queued call has not started");
    }

    #[test]
    fn start_time_alone_is_that_utc_date() {
        let f = filter("StartTime=2025-01-14").unwrap();
        assert!(f.start.admits(at("2025-01-14T00:00:00Z")));
        assert!(f.start.admits(at("2025-01-14T23:30:00-00:00")));
        assert!(!f.start.admits(at("2025-01-14T23:30:00-05:00")));
    }

    #[test]
    fn pages_keep_the_filters() {
        let f = filter("To=%2B12015550100&Status=busy&PageSize=2000&Page=1").unwrap();
        assert_eq!(f.page_size, 1000);
        assert_eq!(
            f.page_uri("/Calls.json", 2),
            "/Calls.json?To=%2B12015550100&Status=busy&PageSize=1000&Page=2"
        );
    }

    #[test]
    fn refuses_values_twilio_refuses() {
        assert!(filter("Status=ended").is_err());
        assert!(filter("StartTime%3E=yesterday").is_err());
        assert!(filter("PageSize=many").is_err());
        assert!(filter("Unknown=1").is_ok());
    }
}
