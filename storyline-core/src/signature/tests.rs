use super::*;

fn token(s: &str) -> AuthToken {
    s.parse().unwrap()
}

#[test]
fn settings_header_without_algorithm_means_sha1() {
    for header in [None, Some(""), Some("key=webhooks_sharedkey_1"), Some("algorithm=")] {
        assert_eq!(
            Algorithm::from_settings_header(header),
            Ok(Algorithm::HmacSha1),
            "{header:?}"
        );
    }
}

#[test]
fn settings_header_names_sha256() {
    for header in [
        "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
        "algorithm=HMAC_SHA256",
        " key=k , algorithm = hmac_sha256 ",
    ] {
        assert_eq!(
            Algorithm::from_settings_header(Some(header)),
            Ok(Algorithm::HmacSha256),
            "{header}"
        );
    }
    assert_eq!(
        Algorithm::from_settings_header(Some("algorithm=HMAC_SHA1")),
        Ok(Algorithm::HmacSha1)
    );
}

#[test]
fn settings_header_with_unknown_algorithm_is_rejected() {
    assert_eq!(
        Algorithm::from_settings_header(Some("key=k,algorithm=HMAC_SHA512")),
        Err(SignatureError::UnsupportedAlgorithm("HMAC_SHA512".to_owned()))
    );
}

#[test]
fn algorithm_names_are_spelled_as_twilio_spells_them() {
    assert_eq!(Algorithm::HmacSha1.as_str(), "HMAC_SHA1");
    assert_eq!(Algorithm::HmacSha256.as_str(), "HMAC_SHA256");
}

#[test]
fn params_are_sorted_by_name_then_value_and_deduplicated() {
    let params = [("b", "2"), ("a", "z"), ("B", "1"), ("a", "y"), ("a", "z")];
    assert_eq!(param_suffix(&params), "B1ayazb2");
}

#[test]
fn params_sort_byte_wise_not_by_locale() {
    let params = [("é", "1"), ("z", "1"), ("Z", "1")];
    assert_eq!(param_suffix(&params), "Z1z1é1");
}

#[test]
fn sign_matches_twilio_documentation_example() {
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        sign(&token("12345"), Algorithm::HmacSha1, url, &params),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    assert_eq!(
        sign(&token("12345"), Algorithm::HmacSha256, url, &params),
        "Rmm4Vzj+Ky7JGoWXMCsZDZuHDszLr9xvdbvitrDr4/M="
    );
}

#[test]
fn body_sha256_is_lowercase_hex() {
    assert_eq!(
        body_sha256(br#"{"property": "value", "boolean": true}"#),
        "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    );
}

#[test]
fn accepts_either_token_during_rotation() {
    let url = "https://example.com/cb";
    let params = [("CallSid", "CA1")];
    let validator = Validator::new(token("new")).with_secondary(token("old"));
    for signer in ["new", "old"] {
        let header = sign(&token(signer), Algorithm::HmacSha1, url, &params);
        assert_eq!(validator.validate_form(url, &params, Some(&header), None), Ok(()));
    }
    let header = sign(&token("other"), Algorithm::HmacSha1, url, &params);
    assert_eq!(
        validator.validate_form(url, &params, Some(&header), None),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn validator_debug_hides_both_tokens() {
    let validator = Validator::new(token("primary-secret")).with_secondary(token("second-secret"));
    let shown = format!("{validator:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
