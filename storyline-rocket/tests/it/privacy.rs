//! What the page's link shows to whom: the full phone number only to the browser that asked for the call (the form
//! gives it a cookie); anyone else holding the link sees it masked, on the page and in the status JSON.

use rocket::http::{ContentType, Cookie, Status};
use rocket::local::asynchronous::Client;
use storyline_testkit::fake_twilio::{FakeTwilio, figment, local};
use storyline_testkit::ports::free_port;

/// Submits the form (with `cookie`, if any): the new recording's id and the cookie the answer sets.
async fn ask(client: &Client, typed: &str, cookie: Option<&str>) -> (String, Option<String>) {
    let mut req = client.post("/").header(ContentType::Form).body(format!("tel={typed}"));
    if let Some(c) = cookie {
        // What a browser sends back: the local client's requests take cookies as cookies, not as a header.
        let (name, value) = c.split_once('=').expect("name=value");
        req = req.cookie(Cookie::new(name.to_owned(), value.to_owned()));
    }
    let res = req.dispatch().await;
    assert_eq!(res.status(), Status::SeeOther, "{typed}");
    let id = res
        .headers()
        .get_one("Location")
        .and_then(|l| l.strip_prefix("/recording/"))
        .expect("a recording page")
        .to_owned();
    let set = res.headers().get_one("Set-Cookie").map(str::to_owned);
    (id, set)
}

async fn get(client: &Client, path: &str, cookie: Option<&str>) -> String {
    let mut req = client.get(path.to_owned());
    if let Some(c) = cookie {
        // What a browser sends back: the local client's requests take cookies as cookies, not as a header.
        let (name, value) = c.split_once('=').expect("name=value");
        req = req.cookie(Cookie::new(name.to_owned(), value.to_owned()));
    }
    let res = req.dispatch().await;
    assert_eq!(res.status(), Status::Ok, "{path}");
    res.into_string().await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_browser_that_asked_for_the_call_sees_the_whole_number() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client =
        local(figment(dir.path(), free_port(), Some(&fake)).merge(("storyline.calls_per_second", 200.0))).await;

    let (id, set) = ask(&client, "201-555-0150", None).await;
    let set = set.expect("the form gives the browser its cookie");
    for attribute in ["storyline_browser=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let cookie = set.split(';').next().expect("a cookie").to_owned();

    // The browser that asked: the number in full, on the page and in the status JSON.
    let page = get(&client, &format!("/recording/{id}"), Some(&cookie)).await;
    assert!(page.contains("201-555-0150"), "{page}");
    let status = get(&client, &format!("/recording/{id}/status"), Some(&cookie)).await;
    assert!(status.contains("Calling 201-555-0150"), "{status}");

    // Anyone else with the link (no cookie, or another browser's): masked everywhere.
    let (_, other_set) = ask(&client, "201-555-0151", None).await;
    let other = other_set.expect("another browser's cookie");
    let other = other.split(';').next().expect("a cookie");
    for stranger in [
        None,
        Some(other),
        Some("storyline_browser=0123456789abcdef0123456789abcdef"),
    ] {
        let page = get(&client, &format!("/recording/{id}"), stranger).await;
        assert!(!page.contains("201-555-0150"), "{stranger:?}: {page}");
        assert!(page.contains("•••-•••-0150"), "{stranger:?}: {page}");
        let status = get(&client, &format!("/recording/{id}/status"), stranger).await;
        assert!(!status.contains("201-555-0150"), "{stranger:?}: {status}");
        assert!(
            !status.contains("2015550150") && !page.contains("2015550150"),
            "nor in E.164: {stranger:?}"
        );
        assert!(status.contains("Calling •••-•••-0150"), "{stranger:?}: {status}");
    }

    // The same browser asking again keeps its cookie, and sees its new story's number too.
    let (again, set) = ask(&client, "201-555-0152", Some(&cookie)).await;
    assert_eq!(set, None, "no new cookie");
    let status = get(&client, &format!("/recording/{again}/status"), Some(&cookie)).await;
    assert!(status.contains("Calling 201-555-0152"), "{status}");
}
