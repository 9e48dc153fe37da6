//! Unit tests of the builder and of request construction (no I/O).

use std::time::Duration;

use base64::Engine as _;

use super::*;
use crate::{CallSid, RecordingSid};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "s3cr3t-token";

fn account() -> AccountSid {
    ACCOUNT.parse().unwrap()
}

fn client() -> Client {
    Client::builder()
        .account_sid(account())
        .auth_token(TOKEN)
        .build()
        .unwrap()
}

fn header<'a>(req: &'a http::Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers().get(name).map(|v| v.to_str().unwrap())
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn create_call_sends_every_set_field_in_order_with_repeated_list_keys() {
    let req = client()
        .create_call("+15558675310", "+15017122661")
        .url("https://example.com/twiml")
        .method(CallbackMethod::Get)
        .fallback_url("https://example.com/fallback")
        .fallback_method(CallbackMethod::Post)
        .status_callback("https://example.com/status")
        .status_callback_events([
            CallEvent::Initiated,
            CallEvent::Ringing,
            CallEvent::Answered,
            CallEvent::Completed,
        ])
        .status_callback_method(CallbackMethod::Post)
        .timeout(Duration::from_secs(20))
        .time_limit(Duration::from_secs(900))
        .send_digits("ww1")
        .machine_detection(MachineDetection::DetectMessageEnd)
        .machine_detection_timeout(Duration::from_secs(30))
        .async_amd(true)
        .async_amd_status_callback("https://example.com/amd")
        .async_amd_status_callback_method(CallbackMethod::Post)
        .record(false)
        .recording_channels(RecordingChannels::Mono)
        .recording_status_callback("https://example.com/rec")
        .recording_status_callback_events([
            RecordingEvent::InProgress,
            RecordingEvent::Completed,
            RecordingEvent::Absent,
        ])
        .recording_status_callback_method(CallbackMethod::Get)
        .trim(Trim::DoNotTrim);
    let expected: Vec<(&str, &str)> = vec![
        ("To", "+15558675310"),
        ("From", "+15017122661"),
        ("Url", "https://example.com/twiml"),
        ("Method", "GET"),
        ("FallbackUrl", "https://example.com/fallback"),
        ("FallbackMethod", "POST"),
        ("StatusCallback", "https://example.com/status"),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed"),
        ("StatusCallbackMethod", "POST"),
        ("Timeout", "20"),
        ("TimeLimit", "900"),
        ("SendDigits", "ww1"),
        ("MachineDetection", "DetectMessageEnd"),
        ("MachineDetectionTimeout", "30"),
        ("AsyncAmd", "true"),
        ("AsyncAmdStatusCallback", "https://example.com/amd"),
        ("AsyncAmdStatusCallbackMethod", "POST"),
        ("Record", "false"),
        ("RecordingChannels", "mono"),
        ("RecordingStatusCallback", "https://example.com/rec"),
        ("RecordingStatusCallbackEvent", "in-progress"),
        ("RecordingStatusCallbackEvent", "completed"),
        ("RecordingStatusCallbackEvent", "absent"),
        ("RecordingStatusCallbackMethod", "GET"),
        ("Trim", "do-not-trim"),
    ];
    let pairs = req.form_pairs();
    let got: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn create_call_request_is_a_form_post_to_calls_json_with_basic_auth() {
    let req = client()
        .create_call("+15558675310", "+15017122661")
        .url("https://example.com/twiml")
        .status_callback_events([CallEvent::Initiated, CallEvent::Answered])
        .record(true)
        .build_request()
        .unwrap();
    assert_eq!(req.method(), Method::POST);
    assert_eq!(
        req.uri().to_string(),
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json")
    );
    assert_eq!(header(&req, "authorization"), Some(basic(ACCOUNT, TOKEN).as_str()));
    assert_eq!(header(&req, "accept"), Some("application/json"));
    assert_eq!(header(&req, "content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        header(&req, "user-agent"),
        Some(concat!("storyline-core/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        req.body().as_ref(),
        b"To=%2B15558675310&From=%2B15017122661&Url=https%3A%2F%2Fexample.com%2Ftwiml\
          &StatusCallbackEvent=initiated&StatusCallbackEvent=answered&Record=true"
    );
}

#[test]
fn unset_fields_are_left_out() {
    let pairs = client().create_call("+1555", "+1666").twiml("<Response/>").form_pairs();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["To", "From", "Twiml"]);
}

#[test]
fn create_call_needs_exactly_one_of_url_and_twiml() {
    let c = client();
    let neither = c.create_call("+1555", "+1666").build_request();
    assert!(matches!(neither, Err(Error::InvalidRequest { .. })));
    let both = c
        .create_call("+1555", "+1666")
        .url("https://example.com/t")
        .twiml("<Response/>")
        .build_request();
    assert!(matches!(both, Err(Error::InvalidRequest { .. })));
}

#[test]
fn request_enums_use_twilio_spellings() {
    assert_eq!(CallEvent::Answered.to_string(), "answered");
    assert_eq!(MachineDetection::Enable.as_str(), "Enable");
    assert_eq!(MachineDetection::DetectMessageEnd.as_str(), "DetectMessageEnd");
    assert_eq!(RecordingEvent::InProgress.as_str(), "in-progress");
    assert_eq!(RecordingChannels::Dual.as_str(), "dual");
    assert_eq!(Trim::TrimSilence.as_str(), "trim-silence");
    assert_eq!(CallbackMethod::Get.as_str(), "GET");
}

#[test]
fn reads_and_deletes_have_no_body_and_no_content_type() {
    let c = client();
    let call: CallSid = format!("CA{}", "ab".repeat(16)).parse().unwrap();
    let rec: RecordingSid = format!("RE{}", "cd".repeat(16)).parse().unwrap();
    let prefix = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}");
    let cases = [
        (
            c.fetch_call(&call).build_request().unwrap(),
            Method::GET,
            format!("{prefix}/Calls/{call}.json"),
        ),
        (
            c.fetch_recording(&rec).build_request().unwrap(),
            Method::GET,
            format!("{prefix}/Recordings/{rec}.json"),
        ),
        (
            c.delete_recording(&rec).build_request().unwrap(),
            Method::DELETE,
            format!("{prefix}/Recordings/{rec}.json"),
        ),
        (
            c.list_recordings(&call).page_size(20).build_request().unwrap(),
            Method::GET,
            format!("{prefix}/Recordings.json?CallSid={call}&PageSize=20"),
        ),
    ];
    for (req, method, url) in cases {
        assert_eq!(req.method(), method);
        assert_eq!(req.uri().to_string(), url);
        assert!(req.body().is_empty());
        assert_eq!(header(&req, "content-type"), None);
        assert_eq!(header(&req, "accept"), Some("application/json"));
        assert!(header(&req, "authorization").is_some());
    }
}

#[test]
fn api_key_authenticates_with_the_key_and_keeps_the_account_in_the_path() {
    let key = format!("SK{}", "0f".repeat(16));
    let c = Client::builder()
        .account_sid(account())
        .api_key(&key, "key-secret")
        .base_url("http://127.0.0.1:8080/twilio/")
        .build()
        .unwrap();
    let rec: RecordingSid = format!("RE{}", "cd".repeat(16)).parse().unwrap();
    let req = c.fetch_recording(&rec).build_request().unwrap();
    assert_eq!(header(&req, "authorization"), Some(basic(&key, "key-secret").as_str()));
    assert_eq!(
        req.uri().to_string(),
        format!("http://127.0.0.1:8080/twilio/2010-04-01/Accounts/{ACCOUNT}/Recordings/{rec}.json")
    );
}

#[test]
fn build_rejects_unusable_configuration() {
    let ok = || Client::builder().account_sid(account()).auth_token(TOKEN);
    let cases = [
        Client::builder().auth_token(TOKEN),
        Client::builder().account_sid(account()),
        ok().auth_token(""),
        ok().api_key("AC0123456789abcdef0123456789abcdef", "x"),
        ok().api_key("SKshort", "x"),
        ok().base_url("ftp://api.twilio.com"),
        ok().base_url("api.twilio.com"),
        ok().base_url("https://api.twilio.com/?x=1"),
        ok().user_agent("bad\nagent"),
        ok().max_attempts(0),
        ok().timeout(Duration::ZERO),
    ];
    for (i, builder) in cases.into_iter().enumerate() {
        let err = builder.build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "case {i}: {err:?}");
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let builder = Client::builder()
        .account_sid(account())
        .api_key(format!("SK{}", "0f".repeat(16)), "key-secret");
    assert!(!format!("{builder:?}").contains("key-secret"));
    let builder = Client::builder().account_sid(account()).auth_token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let c = builder.build().unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(!debug.contains(&basic(ACCOUNT, TOKEN)[6..]), "{debug}");
    let req = c.create_call("+1", "+2").url("https://e.x/t");
    assert!(!format!("{req:?}").contains(&basic(ACCOUNT, TOKEN)[6..]));
}

#[test]
fn media_credentials_go_only_to_the_base_origin() {
    let c = Client::builder()
        .account_sid(account())
        .auth_token(TOKEN)
        .base_url("https://api.twilio.com")
        .build()
        .unwrap();
    let rec: RecordingSid = format!("RE{}", "cd".repeat(16)).parse().unwrap();
    let own = c.download_recording(&rec, MediaFormat::Mp3);
    assert_eq!(
        own.url(),
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{rec}.mp3")
    );
    let req = own.build_request().unwrap();
    assert_eq!(header(&req, "authorization"), Some(basic(ACCOUNT, TOKEN).as_str()));
    assert_eq!(header(&req, "accept"), Some("audio/mpeg"));

    let same_origin = c
        .download_media("https://API.twilio.com:443/2010-04-01/x/RE1", MediaFormat::Wav)
        .build_request()
        .unwrap();
    assert!(header(&same_origin, "authorization").is_some());
    for elsewhere in [
        "http://api.twilio.com/2010-04-01/x/RE1",
        "https://evil.example/2010-04-01/x/RE1",
        "https://api.twilio.com:8443/x/RE1",
    ] {
        let req = c.download_media(elsewhere, MediaFormat::Wav).build_request().unwrap();
        assert_eq!(header(&req, "authorization"), None, "{elsewhere}");
    }
    assert!(c.download_media("not a url", MediaFormat::Wav).build_request().is_err());
}

#[test]
fn client_and_request_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let c = client();
    send_sync(&c);
    let call: CallSid = format!("CA{}", "ab".repeat(16)).parse().unwrap();
    let rec: RecordingSid = format!("RE{}", "cd".repeat(16)).parse().unwrap();
    // Futures are built, checked, and dropped unpolled: no I/O happens.
    send(c.create_call("+1", "+2").url("https://e.x/t").send());
    send(c.fetch_call(&call).send());
    send(c.list_recordings(&call).send());
    send(c.fetch_recording(&rec).send());
    send(c.delete_recording(&rec).send());
    send(c.download_recording(&rec, MediaFormat::Wav).send());
    send_sync(&Error::Config { reason: String::new() });
}

#[test]
fn list_calls_sends_only_the_filters_set() {
    let req = client().list_calls().build_request().unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(
        req.uri().to_string(),
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json")
    );
    let req = client()
        .list_calls()
        .to("+15558675310")
        .started_after("2026-12-01")
        .status(CallStatus::Queued)
        .page_size(20)
        .page_size(10)
        .build_request()
        .unwrap();
    assert_eq!(
        req.uri().query(),
        Some("To=%2B15558675310&StartTime%3E=2026-12-01&Status=queued&PageSize=10")
    );
}

#[test]
fn a_call_page_reads_twilios_list() {
    let page: CallPage = serde_json::from_str(
        r#"{"calls": [{"sid": "CA0123456789abcdef0123456789abcdef", "to": "+15558675310", "status": "queued",
            "date_created": "Tue, 01 Dec 2026 14:03:40 +0000"}], "page": 0, "page_size": 50, "next_page_uri": null,
            "uri": "/2010-04-01/Accounts/AC…/Calls.json?To=%2B15558675310"}"#,
    )
    .unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(page.calls[0].status, Some(CallStatus::Queued));
    assert_eq!(page.next_page_uri, None);
}
