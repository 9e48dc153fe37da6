//! Property tests of `events`: whatever the secret, body and timestamp, a signature verifies, and
//! changing any single byte of the body makes it fail.

use proptest::prelude::*;
use storyline_core::events::{DEFAULT_TOLERANCE, VerifyError, sign, verify_at};

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        secret in ".{1,64}",
        body in proptest::collection::vec(any::<u8>(), 0..512),
        timestamp in any::<u64>(),
        skew in 0..=DEFAULT_TOLERANCE.as_secs(),
        later in any::<bool>(),
    ) {
        let now = if later { timestamp.saturating_add(skew) } else { timestamp.saturating_sub(skew) };
        let header = sign(&secret, timestamp, &body);
        prop_assert_eq!(verify_at(&secret, &header, &body, DEFAULT_TOLERANCE, now), Ok(timestamp));
    }

    #[test]
    fn flipping_any_byte_of_the_body_fails(
        secret in ".{1,64}",
        body in proptest::collection::vec(any::<u8>(), 1..512),
        index in any::<prop::sample::Index>(),
        flip in 1..=u8::MAX,
        timestamp in any::<u64>(),
    ) {
        let header = sign(&secret, timestamp, &body);
        let mut changed = body.clone();
        changed[index.index(body.len())] ^= flip;
        prop_assert_eq!(
            verify_at(&secret, &header, &changed, DEFAULT_TOLERANCE, timestamp),
            Err(VerifyError::Mismatch)
        );
    }
}
