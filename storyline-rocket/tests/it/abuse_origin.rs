//! Cross-site form posts are refused (another site must not make a visitor's browser place calls), while the site's own
//! form, scripts and old browsers keep working and Twilio's signed webhooks are exempt; and every answer carries the
//! security headers, with HSTS only when the configured public URL is HTTPS.

use rocket::http::uri::Host;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, sign};
use storyline_testkit::fake_twilio::{AUTH_TOKEN, FakeTwilio, figment, local, post_form, recordings_count};
use storyline_testkit::ports::free_port;

async fn server(fake: &FakeTwilio, dir: &std::path::Path) -> Client {
    local(figment(dir, free_port(), Some(fake)).merge(("storyline.calls_per_second", 200.0))).await
}

fn public_url(client: &Client) -> String {
    storyline_testkit::fake_twilio::public_url(client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_form_posts_are_refused_with_a_friendly_page_and_place_nothing() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let own = public_url(&client);
    for headers in [
        vec![("Origin", "https://evil.example")],
        vec![("Origin", "null")],
        vec![("Sec-Fetch-Site", "cross-site"), ("Origin", own.as_str())],
        vec![("Referer", "https://evil.example/free-prizes.html")],
        vec![("Origin", "https://evil.example"), ("Referer", &format!("{own}/"))],
        vec![
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "http://evil.127.0.0.1.nip.io"),
        ],
    ] {
        let (status, page) = post_form(&client, "/", "tel=201-555-0100", &headers, None).await;
        assert_eq!(status, Status::Forbidden, "{headers:?}");
        assert!(
            page.contains("For your safety") && page.contains("<form"),
            "a friendly page with the form: {headers:?}: {page}"
        );
    }
    assert!(fake.placed().is_empty(), "no call was placed");
    assert_eq!(recordings_count(&client).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sites_own_posts_scripts_and_old_browsers_still_work() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let own = public_url(&client);
    let referer = format!("{own}/");
    for (n, headers) in [
        vec![("Origin", own.as_str())],
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", own.as_str())],
        // A strict referrer policy turns the site's own Origin into "null"; the browser's Sec-Fetch-Site still tells.
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", "null")],
        vec![("Referer", referer.as_str())],
        // curl, scripts and browsers that send none of these headers.
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        let (status, page) = post_form(&client, "/", format!("tel=201-555-014{n}"), &headers, None).await;
        assert_eq!(status, Status::SeeOther, "{headers:?}: {page}");
    }
    assert_eq!(fake.placed().len(), 5);

    // Reached under another loopback name, the server is the same site: a newcomer may open http://localhost:PORT.
    let public = url::Url::parse(&public_url(&client)).expect("the public URL");
    let port = public.port().expect("a port");
    for (n, name) in ["localhost", "[::1]"].iter().enumerate() {
        let mut req = client
            .post("/")
            .header(ContentType::Form)
            .header(Header::new("Origin", format!("http://{name}:{port}")))
            .body(format!("tel=201-555-014{}", n + 6));
        req.inner_mut()
            .set_host(Host::parse_owned(format!("{name}:{port}")).expect("a host"));
        assert_eq!(req.dispatch().await.status(), Status::SeeOther, "{name}");
    }
    // Reached under a name that is not the public URL's (DNS rebinding: another site's name made to point here), the
    // form is refused, though the browser calls its post same-origin.
    let mut req = client
        .post("/")
        .header(ContentType::Form)
        .header(Header::new("Sec-Fetch-Site", "same-origin"))
        .header(Header::new("Origin", format!("http://rebound.example:{port}")))
        .body("tel=201-555-0148");
    req.inner_mut()
        .set_host(Host::parse_owned(format!("rebound.example:{port}")).expect("a host"));
    assert_eq!(req.dispatch().await.status(), Status::Forbidden);
    assert_eq!(fake.placed().len(), 7, "nothing placed for the rebound post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trying_again_from_another_site_is_refused() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let res = client
        .post("/")
        .header(ContentType::Form)
        .body("tel=201-555-0150")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    let location = res.headers().get_one("Location").expect("a location").to_owned();

    let retry = format!("{location}/retry");
    let (status, page) = post_form(&client, &retry, "", &[("Origin", "https://evil.example")], None).await;
    assert_eq!(status, Status::Forbidden);
    assert!(page.contains("For your safety"), "{page}");
    let (status, _) = post_form(&client, &retry, "", &[("Sec-Fetch-Site", "cross-site")], None).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(fake.placed().len(), 1, "no second call");

    let own = public_url(&client);
    // From its own page the request passes the check: the call still going on is then what stops a second one.
    let (status, page) = post_form(&client, &retry, "", &[("Origin", own.as_str())], None).await;
    assert_eq!(status, Status::Conflict, "{page}");
    assert!(page.contains("its call is still going on"), "{page}");
    assert_eq!(fake.placed().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_are_exempt_from_the_origin_check() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let res = client
        .post("/")
        .header(ContentType::Form)
        .body("tel=201-555-0160")
        .dispatch()
        .await;
    let location = res.headers().get_one("Location").expect("a location").to_owned();
    let id = location.trim_start_matches("/recording/");
    let call_sid = storyline_testkit::fake_twilio::stored(&client, id)
        .await
        .and_then(|r| r.call_sid)
        .expect("a placed call");

    let path = format!("/recording/{id}/call_status");
    let params = [
        ("AccountSid", storyline_testkit::fake_twilio::ACCOUNT_SID),
        ("CallSid", call_sid.as_str()),
        ("CallStatus", "ringing"),
        ("SequenceNumber", "1"),
    ];
    let token: AuthToken = AUTH_TOKEN.parse().expect("a token");
    let signature = sign(
        &token,
        Algorithm::HmacSha1,
        &format!("{}{path}", public_url(&client)),
        &params,
    );
    let body = serde_urlencoded::to_string(params).expect("a form");
    let headers = [
        ("X-Twilio-Signature", signature.as_str()),
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let (status, _) = post_form(&client, &path, body, &headers, None).await;
    assert_eq!(status, Status::NoContent, "the signature, not the origin, decides");
    let row = storyline_testkit::fake_twilio::stored(&client, id)
        .await
        .expect("exists");
    assert_eq!(row.status, "ringing");
}

fn header<'a>(res: &'a LocalResponse<'_>, name: &str) -> Option<&'a str> {
    res.headers().get_one(name)
}

fn assert_security_headers(res: &LocalResponse<'_>, what: &str) {
    let csp = header(res, "Content-Security-Policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("form-action 'self'"), "{what}: {csp}");
    assert_eq!(header(res, "X-Frame-Options"), Some("DENY"), "{what}");
    assert_eq!(header(res, "X-Content-Type-Options"), Some("nosniff"), "{what}");
    assert_eq!(header(res, "Referrer-Policy"), Some("same-origin"), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_json_and_404s_carry_the_security_headers_and_no_hsts_over_http() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let res = client
        .post("/")
        .header(ContentType::Form)
        .body("tel=201-555-0170")
        .dispatch()
        .await;
    let location = res.headers().get_one("Location").expect("a location").to_owned();
    let missing = storyline_core::RecordingId::random().expect("an id");
    for (path, status) in [
        ("/".to_owned(), Status::Ok),
        (location.clone(), Status::Ok),
        (format!("{location}/status"), Status::Ok),
        (format!("/recording/{missing}/status"), Status::NotFound),
        ("/no/such/page".to_owned(), Status::NotFound),
    ] {
        // A forged header must not switch HSTS on: only the configured public URL says HTTPS.
        let res = client
            .get(path.clone())
            .header(Header::new("X-Forwarded-Proto", "https"))
            .dispatch()
            .await;
        assert_eq!(res.status(), status, "{path}");
        assert_security_headers(&res, &path);
        assert_eq!(header(&res, "Strict-Transport-Security"), None, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = local(
        figment(dir.path(), free_port(), Some(&fake))
            .merge(("storyline.calls_per_second", 200.0))
            .merge(("storyline.public_url", "https://stories.example.org")),
    )
    .await;
    let missing = storyline_core::RecordingId::random().expect("an id");
    for path in [
        "/".to_owned(),
        format!("/recording/{missing}/status"),
        "/no/such/page".to_owned(),
    ] {
        let res = client.get(path.clone()).dispatch().await;
        assert_security_headers(&res, &path);
        let hsts = header(&res, "Strict-Transport-Security").unwrap_or_else(|| panic!("{path}: no HSTS"));
        assert!(hsts.starts_with("max-age="), "{hsts}");
    }
    // Behind the TLS proxy the browser's origin is the public URL's.
    let (status, _) = post_form(
        &client,
        "/",
        "tel=201-555-0171",
        &[("Origin", "https://stories.example.org")],
        None,
    )
    .await;
    assert_eq!(status, Status::SeeOther);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recordings_page_status_and_live_stream_are_never_cached() {
    let fake = FakeTwilio::start().await;
    let dir = tempfile::tempdir().expect("a data directory");
    let client = server(&fake, dir.path()).await;
    let res = client
        .post("/")
        .header(ContentType::Form)
        .body("tel=201-555-0171")
        .dispatch()
        .await;
    let location = res.headers().get_one("Location").expect("a location").to_owned();
    let missing = storyline_core::RecordingId::random().expect("an id");
    for path in [
        location.clone(),
        format!("{location}/status"),
        format!("{location}/events"),
        format!("/recording/{missing}"),
        format!("/recording/{missing}/status"),
    ] {
        let res = client.get(path.clone()).dispatch().await;
        assert_eq!(header(&res, "Cache-Control"), Some("no-store"), "{path}");
    }
    // The form itself holds nothing of anyone's.
    let res = client.get("/").dispatch().await;
    assert_ne!(header(&res, "Cache-Control"), Some("no-store"));
}
