//! The phone form against hostile input: arbitrary and huge strings, unicode and control characters, form-encoding
//! tricks, repeated or missing `tel` keys, bytes that are not UTF-8. The server never fails (no 500, no panic, which
//! Rocket would turn into a 500): it answers 303 (a call), 422 (not a number it will call), 413 (too much) or 429
//! (limited), and it never writes what was typed into the page unescaped.

use std::sync::OnceLock;

use proptest::prelude::*;
use rocket::http::Status;
use storyline_testkit::fake_twilio::{SharedServer, post_form};

/// One server for every case: starting one per case would make the suite slow, and the form keeps no state a case
/// could spoil for the next (limits at worst answer 429, which is allowed).
fn harness() -> &'static SharedServer {
    static HARNESS: OnceLock<SharedServer> = OnceLock::new();
    HARNESS.get_or_init(|| SharedServer::start(|f| f))
}

const ALLOWED: [Status; 4] = [
    Status::SeeOther,
    Status::UnprocessableEntity,
    Status::PayloadTooLarge,
    Status::TooManyRequests,
];

/// Posts a raw body to the form and checks the answer is one of the allowed ones.
fn post_raw(body: Vec<u8>) -> Result<(Status, String), TestCaseError> {
    let h = harness();
    let (status, page) = h.rt.block_on(post_form(&h.client, "/", body, &[], None));
    prop_assert!(ALLOWED.contains(&status), "answered {status}: {page}");
    if status != Status::SeeOther {
        prop_assert!(page.contains("<form"), "a refusal re-renders the form");
    }
    Ok((status, page))
}

fn post_tel(typed: &str) -> Result<(Status, String), TestCaseError> {
    post_raw(
        serde_urlencoded::to_string([("tel", typed)])
            .expect("a form")
            .into_bytes(),
    )
}

/// Pieces that form-encoding parsers trip on.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tel=".to_owned()),
        Just("tel".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just("&&".to_owned()),
        Just(";".to_owned()),
        Just("%".to_owned()),
        Just("%2".to_owned()),
        Just("%zz".to_owned()),
        Just("%00".to_owned()),
        Just("%FF%FE".to_owned()),
        Just("%C0%AF".to_owned()),
        Just("+".to_owned()),
        Just("%2B1".to_owned()),
        Just("tel%3D".to_owned()),
        Just("%26tel%3D".to_owned()),
        Just("tel[]=".to_owned()),
        Just("TEL=".to_owned()),
        Just("tel.=".to_owned()),
        Just("201-555-0100".to_owned()),
        Just("(917)%20555-2368".to_owned()),
        Just("%E2%80%AE".to_owned()),
        "[0-9+() -]{0,12}",
        "\\PC{0,8}",
    ]
}

/// Text with control, format and odd white-space characters among digits.
fn control_heavy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::char::range('\u{0}', '\u{1f}'),
            Just('\u{7f}'),
            Just('\u{85}'),
            Just('\u{a0}'),
            Just('\u{200b}'),
            Just('\u{202e}'),
            Just('\u{2028}'),
            Just('\u{feff}'),
            Just('\u{ff11}'),
            Just('\u{0661}'),
            prop::char::range('0', '9'),
            Just('+'),
            Just('-'),
        ],
        0..48,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_in_tel_never_fails(typed in any::<String>()) {
        post_tel(&typed)?;
    }

    #[test]
    fn phone_like_text_never_fails(typed in "[0-9 ()+.x#*-]{0,40}") {
        post_tel(&typed)?;
    }

    #[test]
    fn control_and_unicode_characters_never_fail(typed in control_heavy()) {
        post_tel(&typed)?;
    }

    #[test]
    fn form_encoding_tricks_never_fail(pieces in prop::collection::vec(fragment(), 0..24)) {
        post_raw(pieces.concat().into_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_fail(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        post_raw(body)?;
    }

    #[test]
    fn repeated_tel_keys_use_the_first(values in prop::collection::vec("[0-9a-z +-]{0,16}", 2..6)) {
        let pairs: Vec<(&str, &str)> = values.iter().map(|v| ("tel", v.as_str())).collect();
        let (status, page) = post_raw(serde_urlencoded::to_string(&pairs).expect("a form").into_bytes())?;
        if status == Status::UnprocessableEntity && !values[0].trim().is_empty() {
            let kept = format!("value=\"{}\"", values[0].trim());
            prop_assert!(page.contains(&kept), "the first value is the one kept: {kept}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn huge_bodies_are_refused_as_too_large(body in prop::collection::vec(any::<u8>(), 16 * 1024 + 1..64 * 1024)) {
        let (status, _) = post_raw(body)?;
        prop_assert_eq!(status, Status::PayloadTooLarge);
    }

    #[test]
    fn huge_numbers_are_refused_as_too_large(digits in "[0-9]{17000,20000}") {
        let (status, _) = post_tel(&digits)?;
        prop_assert_eq!(status, Status::PayloadTooLarge);
    }
}

#[test]
fn a_missing_tel_asks_for_the_number() {
    for body in ["", "name=Ada", "tel", "telephone=201-555-0100", "&&&"] {
        let (status, page) = post_raw(body.as_bytes().to_vec()).expect("an allowed answer");
        assert_eq!(status, Status::UnprocessableEntity, "{body:?}");
        assert!(page.contains("Please type your phone number"), "{body:?}: {page}");
    }
}

#[test]
fn what_was_typed_is_escaped_in_the_page() {
    let typed = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
    let (status, page) = post_tel(typed).expect("an allowed answer");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the typed text is kept, escaped"
    );
}

#[test]
fn bytes_that_are_not_utf8_read_as_not_a_number() {
    let (status, page) = post_raw(b"tel=201-555-\xff\xfe0100".to_vec()).expect("an allowed answer");
    assert_eq!(status, Status::UnprocessableEntity, "{page}");
}

#[test]
fn a_valid_number_among_tricks_is_still_called() {
    let (status, _) = post_raw(b"tel=201-555-0107&tel=%3Cscript%3E&other=%FF".to_vec()).expect("an allowed answer");
    assert_eq!(status, Status::SeeOther);
}

/// Sends a request's headers and only the start of its body (more than the 14 bytes Rocket itself reads first, with
/// no time limit of its own, to look for `_method`), then waits: the answer, as the server sent it.
async fn trickle(port: u16, path: &str, headers: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("a connection");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 100\r\n{headers}\r\ntel=201-555-0100"
    );
    conn.write_all(head.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut buf = [0u8; 4096];
        // The answer's head is enough: the connection may stay open after it.
        while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{path}: the server kept waiting for the body");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_arriving_is_answered_408_within_seconds() {
    storyline_testkit::within(async {
        let dir = tempfile::tempdir().expect("a data directory");
        let server = storyline_testkit::Server::start(
            storyline_testkit::Config::embedded(dir.path()).with("storyline.api_key", "k".repeat(32)),
        )
        .await;
        let port = server.port;
        let form = "Content-Type: application/x-www-form-urlencoded\r\n";
        let api = format!(
            "Content-Type: application/json\r\nAuthorization: Bearer {}\r\n",
            "k".repeat(32)
        );
        let webhook = format!("{form}X-Twilio-Signature: AAAA\r\n");
        let hook = "/recording/AAAAAAAAAAAAAAAAAAAAAA/call_status";
        let started = std::time::Instant::now();
        let (a, b, c) = tokio::join!(
            trickle(port, "/", form),
            trickle(port, "/api/v1/stories", &api),
            trickle(port, hook, &webhook),
        );
        for (what, answer) in [("the form", a), ("the API", b), ("a webhook", c)] {
            assert!(answer.starts_with("HTTP/1.1 408"), "{what}: {answer}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}
