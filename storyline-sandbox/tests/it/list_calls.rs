//! `GET Calls.json`: how an application finds the calls it placed, when it could not read `POST Calls.json`'s answer.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::app::{Api, App, sandbox};

const HANG_UP: &str = "<Response><Hangup/></Response>";

fn sids(page: &Value) -> Vec<&str> {
    page["calls"]
        .as_array()
        .expect("a page of calls")
        .iter()
        .map(|c| c["sid"].as_str().unwrap())
        .collect()
}

fn encoded(t: OffsetDateTime) -> String {
    let text = t.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap();
    serde_urlencoded::to_string([("", text)]).unwrap()[1..].to_owned()
}

#[tokio::test]
async fn lists_calls_to_a_number_since_a_time_newest_first_by_status_and_in_pages() {
    let sandbox = sandbox(50.0, "").await;
    let app = App::start(&[("/twiml", Duration::ZERO, HANG_UP)]).await;
    let api = Api::new(&sandbox);
    let since = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let first = api.placed(&app, "+12015550101", &[]).await;
    let second = api.placed(&app, "+12015550101", &[]).await;
    let other = api.placed(&app, "+12015550103", &[]).await;
    for sid in [&first, &second, &other] {
        api.status_once(sid, &["busy", "failed"], Duration::from_secs(5)).await;
    }

    let to_busy = format!("/Calls.json?To=%2B12015550101&StartTime%3E={}", encoded(since));
    let (status, page) = api.get(&to_busy).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(sids(&page), [second.as_str(), first.as_str()]);
    assert_eq!(page["calls"][0]["to"], "+12015550101");
    assert!(
        page["calls"][0]["start_time"].is_string(),
        "dialled calls have a start time"
    );

    let later = OffsetDateTime::now_utc() + time::Duration::seconds(5);
    let (_, page) = api
        .get(&format!(
            "/Calls.json?To=%2B12015550101&StartTime%3E={}",
            encoded(later)
        ))
        .await;
    assert_eq!(sids(&page), Vec::<&str>::new());
    let (_, page) = api.get(&format!("/Calls.json?StartTime%3C={}", encoded(since))).await;
    assert_eq!(sids(&page), Vec::<&str>::new());
    let (_, page) = api.get("/Calls.json?Status=failed").await;
    assert_eq!(sids(&page), [other.as_str()]);
    let today = OffsetDateTime::now_utc().date();
    let (_, page) = api
        .get(&format!("/Calls.json?StartTime={today}&From=%2B12015550199"))
        .await;
    assert_eq!(sids(&page).len(), 3);

    let (_, page) = api.get("/Calls.json?To=%2B12015550101&PageSize=1").await;
    assert_eq!(sids(&page), [second.as_str()]);
    let next = page["next_page_uri"].as_str().expect("a second page");
    let next = next.split_once("/Calls.json").unwrap().1;
    let (_, page) = api.get(&format!("/Calls.json{next}")).await;
    assert_eq!(sids(&page), [first.as_str()]);
    assert!(page["next_page_uri"].is_null());
}

#[tokio::test]
async fn refuses_a_filter_it_cannot_read() {
    let sandbox = sandbox(50.0, "").await;
    let (status, body) = Api::new(&sandbox).get("/Calls.json?Status=ended").await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(20001)));
}
