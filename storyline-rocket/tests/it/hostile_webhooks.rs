//! Twilio's webhooks against hostile input. Correctly signed requests with any parameters (missing `CallSid`, odd
//! `CallStatus` values, huge values, unknown names) never make the server fail: it answers 2xx or 4xx. Unsigned or
//! forged requests (a replay with a changed parameter, a signature for another URL, port or scheme, another token)
//! are refused with 403 and change nothing; oversized bodies are refused with 413.

use std::sync::OnceLock;

use proptest::prelude::*;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, sign};
use storyline_testkit::fake_twilio::{AUTH_TOKEN, SharedServer};
use storyline_testkit::settings::without_limits;

const HOOKS: [&str; 4] = ["call_started", "recorded", "call_status", "recording_status_updated"];

fn harness() -> &'static SharedServer {
    static HARNESS: OnceLock<SharedServer> = OnceLock::new();
    HARNESS.get_or_init(|| {
        SharedServer::start(|f| {
            // Real-time background delays: no reconciliation touches a recording while a test watches it.
            without_limits(f).merge(("storyline.test_time_scale", 1.0))
        })
    })
}

/// A recording whose call was placed: its id and call SID.
async fn placed(client: &Client) -> (String, String) {
    let res = client
        .post("/")
        .header(ContentType::Form)
        .body("tel=201-555-0100")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    let id = res
        .headers()
        .get_one("Location")
        .and_then(|l| l.strip_prefix("/recording/"))
        .expect("a recording")
        .to_owned();
    let row = storyline_testkit::fake_twilio::stored(client, &id)
        .await
        .expect("the recording exists");
    (id, row.call_sid.expect("a placed call"))
}

/// Everything a webhook could change about a recording: its row and its background jobs.
async fn snapshot(client: &Client, id: &str) -> (String, String, Option<String>, i64, i64) {
    let row = storyline_testkit::fake_twilio::stored(client, id)
        .await
        .expect("exists");
    let jobs = storyline_testkit::db::jobs_count(&storyline_testkit::fake_twilio::data_dir(client), id).await;
    (row.status, row.state, row.call_sid, row.updated_at, jobs)
}

fn token() -> AuthToken {
    AUTH_TOKEN.parse().expect("a token")
}

/// Posts a webhook with the given signature header (if any) and returns the status.
async fn post_hook(client: &Client, path: &str, body: String, signature: Option<&str>) -> Status {
    let mut req = client.post(path.to_owned()).header(ContentType::Form).body(body);
    if let Some(sig) = signature {
        req = req.header(Header::new("X-Twilio-Signature", sig.to_owned()));
    }
    req.dispatch().await.status()
}

fn form(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).expect("a form")
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "CallSid", "AccountSid", "CallStatus", "From", "To", "Direction", "ApiVersion", "AnsweredBy",
            "RecordingSid", "RecordingUrl", "RecordingStatus", "RecordingDuration", "Digits", "SequenceNumber",
            "CallDuration", "ErrorCode", "Timestamp", "CallbackSource", "SipResponseCode", "StirVerstat",
        ])
        .prop_map(str::to_owned),
        1 => "[A-Za-z]{1,16}",
        1 => any::<String>(),
    ]
}

fn param_value(call_sid: String) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(call_sid),
        1 => "CA[0-9a-f]{32}",
        1 => "RE[0-9a-f]{32}",
        2 => prop::sample::select(vec![
            "queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer",
            "canceled", "answered", "IN-PROGRESS", "inprogress", "absent", "paused", "human", "machine_start",
            "fax", "unknown", "hangup", "#", "", " ", "null", "-1", "0", "4294967296", "99999999999999999999",
            "1e9", "NaN", "http://127.0.0.1:1/media", "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE",
        ])
        .prop_map(str::to_owned),
        1 => "[0-9]{0,24}",
        1 => any::<String>(),
        1 => "[a-z%&=+]{2000,12000}",
    ]
}

fn params(call_sid: String) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((param_name(), param_value(call_sid)), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn signed_webhooks_with_any_parameters_never_fail(
        hook in prop::sample::select(HOOKS.to_vec()),
        with_call_sid in any::<bool>(),
        extra in params("CA00000000000000000000000000000001".to_owned()),
    ) {
        let h = harness();
        let status = h.rt.block_on(async {
            // One recording per case: later cases must not depend on what earlier ones did to it.
            let (id, call_sid) = placed(&h.client).await;
            let mut pairs = Vec::new();
            if with_call_sid {
                pairs.push(("CallSid".to_owned(), call_sid.clone()));
            }
            pairs.extend(extra.into_iter().map(|(k, v)| {
                // The strategy's fixed SID stands for this recording's call.
                let v = if v == "CA00000000000000000000000000000001" { call_sid.clone() } else { v };
                (k, v)
            }));
            let path = format!("/recording/{id}/{hook}");
            let signature = sign(&token(), Algorithm::HmacSha1, &format!("{}{path}", h.public_url), &pairs);
            post_hook(&h.client, &path, form(&pairs), Some(&signature)).await
        });
        prop_assert!(status.code < 500, "{hook} answered {status}");
        prop_assert_ne!(status, Status::Forbidden, "a correct signature is accepted");
    }

    #[test]
    fn unsigned_or_forged_webhooks_are_refused_and_change_nothing(
        hook in prop::sample::select(HOOKS.to_vec()),
        extra in params("CA00000000000000000000000000000001".to_owned()),
        forgery in 0..4u8,
    ) {
        let h = harness();
        let (status, before, after) = h.rt.block_on(async {
            let (id, call_sid) = placed(&h.client).await;
            let mut pairs = vec![
                ("CallSid".to_owned(), call_sid.clone()),
                ("CallStatus".to_owned(), "busy".to_owned()),
            ];
            pairs.extend(extra);
            let path = format!("/recording/{id}/{hook}");
            let url = format!("{}{path}", h.public_url);
            let signature = match forgery {
                0 => None,
                1 => Some(sign(&"0123456789abcdef0123456789abcdef".parse().expect("a token"), Algorithm::HmacSha1, &url, &pairs)),
                2 => Some(sign(&token(), Algorithm::HmacSha1, &url, &pairs[..1])),
                _ => Some(sign(&token(), Algorithm::HmacSha1, &format!("{url}?forged=1"), &pairs)),
            };
            let before = snapshot(&h.client, &id).await;
            let body = form(&pairs);
            let too_large = body.len() > 64 * 1024;
            let status = post_hook(&h.client, &path, body, signature.as_deref()).await;
            (if too_large { (status, Status::PayloadTooLarge) } else { (status, Status::Forbidden) }, before, snapshot(&h.client, &id).await)
        });
        // A body over the limit is refused before its signature is even read.
        prop_assert_eq!(status.0, status.1);
        prop_assert_eq!(before, after);
    }
}

/// A ringing callback for `call_sid`, and the body and signature Twilio would send to `url`.
fn ringing(call_sid: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", storyline_testkit::fake_twilio::ACCOUNT_SID),
        ("CallSid", call_sid),
        ("CallStatus", "ringing"),
        ("SequenceNumber", "1"),
        ("To", "+12015550100"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

#[test]
fn forged_signatures_are_refused_and_change_nothing() {
    let h = harness();
    h.rt.block_on(async {
        let (id, call_sid) = placed(&h.client).await;
        let (other, _) = placed(&h.client).await;
        let path = format!("/recording/{id}/call_status");
        let url = format!("{}{path}", h.public_url);
        let pairs = ringing(&call_sid);
        let good = sign(&token(), Algorithm::HmacSha1, &url, &pairs);
        let port = h
            .public_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .expect("a port");
        let elsewhere = h.public_url.replace(&format!(":{port}"), &format!(":{}", port + 1));

        let mut changed = pairs.clone();
        changed[2].1 = "busy".into();
        let mut added = pairs.clone();
        added.push(("CallDuration".into(), "0".into()));
        let mut dropped = pairs.clone();
        dropped.pop();
        let forgeries: Vec<(&str, String, String)> = vec![
            ("replayed with a changed parameter", form(&changed), good.clone()),
            ("replayed with an added parameter", form(&added), good.clone()),
            ("replayed with a parameter removed", form(&dropped), good.clone()),
            (
                "signed for another recording",
                form(&pairs),
                sign(
                    &token(),
                    Algorithm::HmacSha1,
                    &format!("{}/recording/{other}/call_status", h.public_url),
                    &pairs,
                ),
            ),
            (
                "signed for another webhook",
                form(&pairs),
                sign(
                    &token(),
                    Algorithm::HmacSha1,
                    &format!("{}/recording/{id}/recorded", h.public_url),
                    &pairs,
                ),
            ),
            (
                "signed for another port",
                form(&pairs),
                sign(&token(), Algorithm::HmacSha1, &format!("{elsewhere}{path}"), &pairs),
            ),
            (
                "signed for https",
                form(&pairs),
                sign(
                    &token(),
                    Algorithm::HmacSha1,
                    &url.replacen("http://", "https://", 1),
                    &pairs,
                ),
            ),
            (
                "signed for another host",
                form(&pairs),
                sign(
                    &token(),
                    Algorithm::HmacSha1,
                    &url.replacen("127.0.0.1", "localhost", 1),
                    &pairs,
                ),
            ),
            (
                "signed with another token",
                form(&pairs),
                sign(
                    &"fedcba9876543210fedcba9876543210".parse().expect("a token"),
                    Algorithm::HmacSha1,
                    &url,
                    &pairs,
                ),
            ),
            (
                "signed with SHA-256 but claimed as SHA-1",
                form(&pairs),
                sign(&token(), Algorithm::HmacSha256, &url, &pairs),
            ),
            ("an empty signature", form(&pairs), String::new()),
            ("garbage", form(&pairs), "not base64 at all!".into()),
            ("the right signature in lower case", form(&pairs), good.to_lowercase()),
            (
                "the right signature truncated",
                form(&pairs),
                good[..good.len() - 2].to_owned(),
            ),
        ];
        let before = snapshot(&h.client, &id).await;
        for (what, body, signature) in forgeries {
            let status = post_hook(&h.client, &path, body, Some(&signature)).await;
            assert_eq!(status, Status::Forbidden, "{what}");
        }
        assert_eq!(
            post_hook(&h.client, &path, form(&pairs), None).await,
            Status::Forbidden,
            "unsigned"
        );
        assert_eq!(snapshot(&h.client, &id).await, before, "no forgery changed anything");

        // The genuine request still works.
        assert_eq!(
            post_hook(&h.client, &path, form(&pairs), Some(&good)).await,
            Status::NoContent
        );
        assert_eq!(snapshot(&h.client, &id).await.0, "ringing");
    });
}

#[test]
fn signed_webhooks_without_the_fields_they_need_are_bad_requests() {
    let h = harness();
    h.rt.block_on(async {
        let (id, _) = placed(&h.client).await;
        for hook in HOOKS {
            let path = format!("/recording/{id}/{hook}");
            let pairs: Vec<(String, String)> = vec![("Unrelated".into(), "value".into())];
            let signature = sign(
                &token(),
                Algorithm::HmacSha1,
                &format!("{}{path}", h.public_url),
                &pairs,
            );
            let status = post_hook(&h.client, &path, form(&pairs), Some(&signature)).await;
            assert_eq!(status, Status::BadRequest, "{hook}");
        }
    });
}

#[test]
fn signed_webhooks_for_unknown_recordings_are_not_found() {
    let h = harness();
    h.rt.block_on(async {
        let id = storyline_core::RecordingId::random().expect("an id");
        let path = format!("/recording/{id}/call_status");
        let pairs = ringing("CA0123456789abcdef0123456789abcdef");
        let signature = sign(
            &token(),
            Algorithm::HmacSha1,
            &format!("{}{path}", h.public_url),
            &pairs,
        );
        assert_eq!(
            post_hook(&h.client, &path, form(&pairs), Some(&signature)).await,
            Status::NotFound
        );
    });
}

#[test]
fn oversized_webhook_bodies_are_refused_even_when_signed() {
    let h = harness();
    h.rt.block_on(async {
        let (id, call_sid) = placed(&h.client).await;
        let path = format!("/recording/{id}/call_status");
        let mut pairs = ringing(&call_sid);
        pairs.push(("Padding".into(), "x".repeat(70 * 1024)));
        let signature = sign(
            &token(),
            Algorithm::HmacSha1,
            &format!("{}{path}", h.public_url),
            &pairs,
        );
        let before = snapshot(&h.client, &id).await;
        let status = post_hook(&h.client, &path, form(&pairs), Some(&signature)).await;
        assert_eq!(status, Status::PayloadTooLarge);
        assert_eq!(snapshot(&h.client, &id).await, before);
    });
}
