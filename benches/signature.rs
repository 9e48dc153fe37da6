//! Twilio signature validation: a form POST with a typical voice webhook's parameters (SHA-1 and
//! SHA-256, one token and two during rotation), and a GET whose parameters are in the query.
//!
//! `benches/official/` times the same inputs with twilio-python and twilio-node; keep the URL,
//! token and parameters here equal to `benches/official/inputs.json`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use storyline_core::AuthToken;
use storyline_core::signature::{Algorithm, Validator, sign};

const TOKEN: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OLD_TOKEN: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const FORM_URL: &str = "https://voice.example.org/twilio/voice?story=42";
const GET_URL: &str = "https://voice.example.org/twilio/voice?AccountSid=ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&CallSid=CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&CallStatus=ringing&From=%2B15551234567&To=%2B15557654321&Direction=inbound";
const SHA256_SETTINGS: &str = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256";

/// What Twilio posts when a call reaches the voice URL.
const VOICE_PARAMS: [(&str, &str); 12] = [
    ("AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    ("CallStatus", "ringing"),
    ("Called", "+15557654321"),
    ("Caller", "+15551234567"),
    ("Direction", "inbound"),
    ("From", "+15551234567"),
    ("FromCity", "SAN FRANCISCO"),
    ("FromCountry", "US"),
    ("FromState", "CA"),
    ("To", "+15557654321"),
];

fn token(s: &str) -> AuthToken {
    s.parse().expect("bench token")
}

fn validation(c: &mut Criterion) {
    let validator = Validator::new(token(TOKEN));
    let rotating = Validator::new(token(TOKEN)).with_secondary(token(OLD_TOKEN));
    let sha1 = sign(&token(TOKEN), Algorithm::HmacSha1, FORM_URL, &VOICE_PARAMS);
    let sha256 = sign(&token(TOKEN), Algorithm::HmacSha256, FORM_URL, &VOICE_PARAMS);
    let get = sign::<&str, &str>(&token(TOKEN), Algorithm::HmacSha1, GET_URL, &[]);
    // Timing a rejection by mistake would flatter the figures.
    assert!(
        validator
            .validate_form(FORM_URL, &VOICE_PARAMS, Some(&sha1), None)
            .is_ok()
    );
    assert!(
        validator
            .validate_form(FORM_URL, &VOICE_PARAMS, Some(&sha256), Some(SHA256_SETTINGS))
            .is_ok()
    );
    assert!(
        rotating
            .validate_form(FORM_URL, &VOICE_PARAMS, Some(&sha1), None)
            .is_ok()
    );
    assert!(validator.validate_url(GET_URL, Some(&get), None).is_ok());
    let key = token(TOKEN);

    let mut group = c.benchmark_group("signature");
    group.bench_function("form_sha1", |b| {
        b.iter(|| {
            validator.validate_form(
                black_box(FORM_URL),
                black_box(&VOICE_PARAMS),
                Some(black_box(&sha1)),
                None,
            )
        })
    });
    group.bench_function("form_sha256", |b| {
        b.iter(|| {
            validator.validate_form(
                black_box(FORM_URL),
                black_box(&VOICE_PARAMS),
                Some(black_box(&sha256)),
                Some(SHA256_SETTINGS),
            )
        })
    });
    group.bench_function("form_sha1_two_tokens", |b| {
        b.iter(|| {
            rotating.validate_form(
                black_box(FORM_URL),
                black_box(&VOICE_PARAMS),
                Some(black_box(&sha1)),
                None,
            )
        })
    });
    group.bench_function("get_query_sha1", |b| {
        b.iter(|| validator.validate_url(black_box(GET_URL), Some(black_box(&get)), None))
    });
    group.bench_function("sign_form_sha1", |b| {
        b.iter(|| sign(&key, Algorithm::HmacSha1, black_box(FORM_URL), black_box(&VOICE_PARAMS)))
    });
    group.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
