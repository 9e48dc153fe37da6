//! Signature validation against vectors computed with the official Twilio libraries, hostile
//! requests, and properties of `sign` and `Validator`.

use proptest::prelude::*;
use serde_json::Value;
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, SignatureError, Validator, body_sha256, sign};

const FIXTURE: &str = include_str!("fixtures/signature-vectors.json");
/// CI checks the shared project files out beside the repository.
const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/twilio/signature-vectors.json"
);
/// The body behind the `json_body_bodySHA256` vector (twilio-python's own test body).
const JSON_BODY: &str = r#"{"property": "value", "boolean": true}"#;
const SHA256_SETTINGS: &str = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256";

struct Vector {
    name: String,
    token: AuthToken,
    url: String,
    params: Vec<(String, String)>,
    settings: Option<&'static str>,
    signature: String,
    valid: bool,
}

fn vectors() -> Vec<Vector> {
    let all: Vec<Value> = serde_json::from_str(FIXTURE).expect("fixture is a json array");
    all.iter().map(vector).collect()
}

fn vector(v: &Value) -> Vector {
    let text = |key: &str| v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_owned();
    let mut params = Vec::new();
    for (name, values) in v["params"].as_object().expect("params is an object") {
        match values {
            Value::String(value) => params.push((name.clone(), value.clone())),
            Value::Array(values) => {
                params.extend(
                    values
                        .iter()
                        .map(|value| (name.clone(), value.as_str().expect("string value").to_owned())),
                );
            }
            other => panic!("unexpected param value {other}"),
        }
    }
    let settings = match v["algorithm"].as_str() {
        Some("HMAC_SHA1") | None => None,
        Some("HMAC_SHA256") => Some(SHA256_SETTINGS),
        Some(other) => panic!("unknown algorithm {other}"),
    };
    Vector {
        name: text("name"),
        token: text("token").parse().expect("vector token"),
        url: text("url"),
        params,
        settings,
        signature: text("signature"),
        valid: v.get("valid").and_then(Value::as_bool).unwrap_or(true),
    }
}

fn named(name: &str) -> Vector {
    vectors().into_iter().find(|v| v.name == name).expect("vector exists")
}

fn token(s: &str) -> AuthToken {
    s.parse().unwrap()
}

#[test]
fn fixture_equals_shared_vectors_when_present() {
    match std::fs::read_to_string(SHARED) {
        Ok(shared) => assert_eq!(FIXTURE, shared, "tests/fixtures is out of date: copy {SHARED}"),
        Err(err) => eprintln!("skipping drift check, {SHARED}: {err}"),
    }
}

#[test]
fn every_vector_agrees() {
    let vectors = vectors();
    assert!(vectors.len() >= 10, "fixture lost vectors");
    for v in vectors {
        let result = Validator::new(v.token.clone()).validate_form(&v.url, &v.params, Some(&v.signature), v.settings);
        assert_eq!(result.is_ok(), v.valid, "{}: {result:?}", v.name);
        if v.valid {
            let algorithm = Algorithm::from_settings_header(v.settings).unwrap();
            assert_eq!(sign(&v.token, algorithm, &v.url, &v.params), v.signature, "{}", v.name);
        }
    }
}

#[test]
fn accepts_json_body_vector_with_its_body() {
    let v = named("json_body_bodySHA256");
    let validator = Validator::new(v.token);
    let body = JSON_BODY.as_bytes();
    assert_eq!(validator.validate_body(&v.url, body, Some(&v.signature), None), Ok(()));
    assert_eq!(validator.validate_url(&v.url, Some(&v.signature), None), Ok(()));
}

#[test]
fn rejects_json_body_that_was_changed() {
    let v = named("json_body_bodySHA256");
    let body = br#"{"property": "value", "boolean": false}"#;
    let result = Validator::new(v.token).validate_body(&v.url, body, Some(&v.signature), None);
    assert_eq!(result, Err(SignatureError::BodyHashMismatch));
}

#[test]
fn rejects_raw_body_when_url_has_no_body_hash() {
    let url = "https://example.com/myapp";
    let header = sign::<&str, &str>(&token("12345"), Algorithm::HmacSha1, url, &[]);
    let result = Validator::new(token("12345")).validate_body(url, b"{}", Some(&header), None);
    assert_eq!(result, Err(SignatureError::MissingBodyHash));
}

#[test]
fn accepts_body_signed_after_computing_its_hash() {
    let body = br#"{"CallSid":"CA1"}"#;
    let url = format!("https://example.com:8443/hook?bodySHA256={}", body_sha256(body));
    let header = sign::<&str, &str>(&token("t"), Algorithm::HmacSha256, &url, &[]);
    let result = Validator::new(token("t")).validate_body(&url, body, Some(&header), Some(SHA256_SETTINGS));
    assert_eq!(result, Ok(()));
}

#[test]
fn accepts_443_signature_when_configured_without_port_and_back() {
    let with = named("port_signed_with_443");
    let without = named("port_signed_without_443");
    let validator = Validator::new(with.token.clone());
    assert_eq!(
        validator.validate_form(&without.url, &with.params, Some(&with.signature), None),
        Ok(())
    );
    assert_eq!(
        validator.validate_form(&with.url, &without.params, Some(&without.signature), None),
        Ok(())
    );
}

#[test]
fn accepts_signature_without_port_when_configured_with_8443() {
    let v = named("port_signed_with_8443");
    let portless = sign::<&str, &str>(&v.token, Algorithm::HmacSha1, "https://example.com/x", &[]);
    let result = Validator::new(v.token).validate_url(&v.url, Some(&portless), None);
    assert_eq!(result, Ok(()));
}

#[test]
fn accepts_80_spelling_for_http() {
    let signed = sign(
        &token("k"),
        Algorithm::HmacSha1,
        "http://example.com:80/v",
        &[("a", "1")],
    );
    let result = Validator::new(token("k")).validate_form("http://example.com/v", &[("a", "1")], Some(&signed), None);
    assert_eq!(result, Ok(()));
}

/// Validates the `docs_example_form_post` vector with one input replaced.
fn docs_example(
    url: Option<&str>,
    params: Option<Vec<(String, String)>>,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let v = named("docs_example_form_post");
    Validator::new(v.token).validate_form(
        url.unwrap_or(&v.url),
        &params.unwrap_or(v.params),
        Some(header.unwrap_or(&v.signature)),
        None,
    )
}

#[test]
fn rejects_forged_signature() {
    let forged = sign(
        &token("guess"),
        Algorithm::HmacSha1,
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        &named("docs_example_form_post").params,
    );
    assert_eq!(docs_example(None, None, Some(&forged)), Err(SignatureError::Mismatch));
    assert_eq!(
        docs_example(None, None, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn rejects_when_a_parameter_changed() {
    let mut params = named("docs_example_form_post").params;
    params.iter_mut().find(|(name, _)| name == "Digits").unwrap().1 = "1235".to_owned();
    assert_eq!(docs_example(None, Some(params), None), Err(SignatureError::Mismatch));
}

#[test]
fn rejects_when_a_parameter_is_added_or_dropped() {
    let mut params = named("docs_example_form_post").params;
    params.push(("Extra".to_owned(), String::new()));
    assert_eq!(
        docs_example(None, Some(params.clone()), None),
        Err(SignatureError::Mismatch)
    );
    params.truncate(params.len() - 2);
    assert_eq!(docs_example(None, Some(params), None), Err(SignatureError::Mismatch));
}

#[test]
fn rejects_for_another_url() {
    let result = docs_example(Some("https://mycompany.com/other.php?foo=1&bar=2"), None, None);
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn rejects_for_another_scheme() {
    let result = docs_example(Some("http://mycompany.com/myapp.php?foo=1&bar=2"), None, None);
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn rejects_for_another_port() {
    // A URL configured with a port is also tried without it (as the official libraries do), so
    // "another port" means a signature made on a port the configured URL neither names nor omits.
    let v = named("port_signed_with_8443");
    let validator = Validator::new(v.token);
    for url in [
        "https://example.com/x",
        "https://example.com:443/x",
        "https://example.com:9443/x",
    ] {
        assert_eq!(
            validator.validate_url(url, Some(&v.signature), None),
            Err(SignatureError::Mismatch),
            "{url}"
        );
    }
}

#[test]
fn rejects_for_another_host() {
    let result = docs_example(Some("https://evil.com/myapp.php?foo=1&bar=2"), None, None);
    assert_eq!(result, Err(SignatureError::Mismatch));
    let result = docs_example(Some("https://MyCompany.com/myapp.php?foo=1&bar=2"), None, None);
    assert_eq!(
        result,
        Err(SignatureError::Mismatch),
        "the host is signed as configured"
    );
}

#[test]
fn rejects_when_query_string_dropped() {
    let result = docs_example(Some("https://mycompany.com/myapp.php"), None, None);
    assert_eq!(result, Err(SignatureError::Mismatch));
    let v = named("get_no_params");
    let result = Validator::new(v.token).validate_url("https://example.com/voice", Some(&v.signature), None);
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn rejects_collapsed_repeated_keys() {
    let v = named("repeated_keys");
    let validator = Validator::new(v.token);
    let mut collapsed = v.params.clone();
    collapsed.retain(|(name, value)| name != "StatusCallbackEvent" || value != "ringing");
    let result = validator.validate_form(&v.url, &collapsed, Some(&v.signature), None);
    assert_eq!(result, Err(SignatureError::Mismatch));
    let joined = [("A", "1"), ("StatusCallbackEvent", "ringing,answered"), ("b", "2")];
    let result = validator.validate_form(&v.url, &joined, Some(&v.signature), None);
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn accepts_repeated_keys_in_any_order() {
    let v = named("repeated_keys");
    let mut shuffled = v.params.clone();
    shuffled.reverse();
    let result = Validator::new(v.token).validate_form(&v.url, &shuffled, Some(&v.signature), None);
    assert_eq!(result, Ok(()));
}

#[test]
fn rejects_empty_or_missing_header() {
    assert_eq!(
        docs_example(None, None, Some("")),
        Err(SignatureError::MissingSignature)
    );
    let v = named("docs_example_form_post");
    let result = Validator::new(v.token).validate_form(&v.url, &v.params, None, None);
    assert_eq!(result, Err(SignatureError::MissingSignature));
}

#[test]
fn rejects_signature_of_wrong_length() {
    let good = named("docs_example_form_post").signature;
    for header in [
        &good[..good.len() - 1],
        &format!("{good}="),
        &format!("{good} "),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ",
    ] {
        assert_eq!(
            docs_example(None, None, Some(header)),
            Err(SignatureError::Mismatch),
            "{header:?}"
        );
    }
}

#[test]
fn rejects_sha256_signature_without_settings_header() {
    let v = named("docs_example_hmac_sha256");
    let validator = Validator::new(v.token);
    assert_eq!(
        validator.validate_form(&v.url, &v.params, Some(&v.signature), None),
        Err(SignatureError::Mismatch)
    );
    let sha1 = named("docs_example_form_post").signature;
    let result = validator.validate_form(&v.url, &v.params, Some(&sha1), Some(SHA256_SETTINGS));
    assert_eq!(result, Err(SignatureError::Mismatch));
}

#[test]
fn rejects_unknown_algorithm_in_settings_header() {
    let v = named("docs_example_form_post");
    let result =
        Validator::new(v.token).validate_form(&v.url, &v.params, Some(&v.signature), Some("algorithm=HMAC_MD5"));
    assert_eq!(result, Err(SignatureError::UnsupportedAlgorithm("HMAC_MD5".to_owned())));
}

#[test]
fn rejects_malformed_configured_url() {
    let result = docs_example(Some("mycompany.com/myapp.php?foo=1&bar=2"), None, None);
    assert!(matches!(result, Err(SignatureError::MalformedUrl { .. })), "{result:?}");
}

fn url_strategy() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        "[a-z]{1,8}\\.[a-z]{2,3}",
        prop_oneof![Just(""), Just(":80"), Just(":443"), Just(":8443")],
        "(/[A-Za-z0-9._~-]{0,8}){0,3}",
        proptest::option::of("[A-Za-z0-9=&%+._-]{0,20}"),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{query}")
        })
}

fn params_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("(CallSid|From|Digits|[A-Za-z]{1,4})", "\\PC{0,12}"), 0..8)
}

fn distinct(params: &[(String, String)]) -> std::collections::BTreeSet<(String, String)> {
    params.iter().cloned().collect()
}

proptest! {
    #[test]
    fn signed_requests_validate(url in url_strategy(), params in params_strategy(), sha256 in any::<bool>()) {
        let (algorithm, settings) = if sha256 { (Algorithm::HmacSha256, Some(SHA256_SETTINGS)) } else { (Algorithm::HmacSha1, None) };
        let header = sign(&token("proptest"), algorithm, &url, &params);
        prop_assert_eq!(Validator::new(token("proptest")).validate_form(&url, &params, Some(&header), settings), Ok(()));
    }

    #[test]
    fn changing_one_byte_of_the_url_invalidates(url in url_strategy(), params in params_strategy(), at in any::<prop::sample::Index>(), byte in 0x21u8..0x7f) {
        let header = sign(&token("proptest"), Algorithm::HmacSha1, &url, &params);
        let mut changed = url.clone().into_bytes();
        let at = at.index(changed.len());
        prop_assume!(changed[at] != byte);
        changed[at] = byte;
        let changed = String::from_utf8(changed).unwrap();
        let result = Validator::new(token("proptest")).validate_form(&changed, &params, Some(&header), None);
        prop_assert!(result.is_err(), "{} accepted for {}", changed, url);
    }

    #[test]
    fn changing_one_character_of_a_value_invalidates(url in url_strategy(), params in params_strategy(), which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in 0x20u8..0x7f) {
        prop_assume!(!params.is_empty());
        let header = sign(&token("proptest"), Algorithm::HmacSha1, &url, &params);
        let mut changed = params.clone();
        let value = &mut changed[which.index(params.len())].1;
        let mut chars: Vec<char> = value.chars().collect();
        if chars.is_empty() {
            chars.push(char::from(byte));
        } else {
            let at = at.index(chars.len());
            prop_assume!(chars[at] != char::from(byte));
            chars[at] = char::from(byte);
        }
        *value = chars.into_iter().collect();
        // Repeated identical pairs count once, as in the official libraries.
        prop_assume!(distinct(&changed) != distinct(&params));
        let result = Validator::new(token("proptest")).validate_form(&url, &changed, Some(&header), None);
        prop_assert_eq!(result, Err(SignatureError::Mismatch));
    }
}
