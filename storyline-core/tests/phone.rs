//! Behaviour of `PhoneNumber`: what people type, what Twilio and the database hand back.

use storyline_core::PhoneNumber;
use storyline_core::phone::{InvalidReason, NumberKind, PhoneError, Region};

fn us(input: &str) -> Result<PhoneNumber, PhoneError> {
    PhoneNumber::parse(input, Region::US)
}

#[test]
fn normalises_the_ways_people_write_a_us_number() {
    let typed = [
        "917-555-2368",
        "(917) 555-2368",
        "9175552368",
        "+1 917 555 2368",
        "1-917-555-2368",
        "  917.555.2368 ",
        "+19175552368",
        "tel:+1-917-555-2368",
    ];
    for input in typed {
        let number = us(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(number.e164(), "+19175552368", "{input:?}");
    }
}

#[test]
fn formats_nationally_and_internationally() {
    let number = us("9175552368").unwrap();
    assert_eq!(number.national(), "(917) 555-2368");
    assert_eq!(number.international(), "+1 917-555-2368");
    assert_eq!(number.to_string(), "+19175552368");
    assert_eq!(number.region(), Some(Region::US));

    let london = us("+44 20 7946 0958").unwrap();
    assert_eq!(london.national(), "020 7946 0958");
    assert_eq!(london.international(), "+44 20 7946 0958");
    assert_eq!(london.region(), Some(Region::GB));
}

#[test]
fn accepts_every_sandbox_demo_number() {
    for last in 0..=8 {
        let number = us(&format!("+1 201-555-010{last}")).unwrap();
        assert_eq!(number.e164(), format!("+1201555010{last}"));
        assert_eq!(number.international(), format!("+1 201-555-010{last}"));
    }
}

#[test]
fn reads_national_numbers_in_the_default_region() {
    let toronto = PhoneNumber::parse("416 555 0100", Region::CA).unwrap();
    assert_eq!(toronto.e164(), "+14165550100");
    assert_eq!(toronto.region(), Some(Region::CA));

    let london = PhoneNumber::parse("020 7946 0958", Region::GB).unwrap();
    assert_eq!(london.e164(), "+442079460958");
    assert_eq!(london.kind(), NumberKind::FixedLine);
}

#[test]
fn tells_the_kind_of_line() {
    assert_eq!(us("917 555 2368").unwrap().kind(), NumberKind::FixedLineOrMobile);
    assert_eq!(us("1-800-555-0100").unwrap().kind(), NumberKind::TollFree);
    assert_eq!(us("1-900-555-0100").unwrap().kind(), NumberKind::PremiumRate);
    // Twilio's magic test numbers live in the NANP personal-number range 500.
    assert_eq!(us("+15005550006").unwrap().kind(), NumberKind::Personal);
}

#[test]
fn rejects_empty_input() {
    assert_eq!(us(""), Err(PhoneError::Empty));
    assert_eq!(us("   "), Err(PhoneError::Empty));
}

#[test]
fn rejects_text_that_is_not_a_number() {
    assert_eq!(us("hello"), Err(PhoneError::NotANumber));
    assert_eq!(us("#"), Err(PhoneError::NotANumber));
}

#[test]
fn rejects_unknown_country_calling_codes() {
    assert_eq!(us("+999 1234 5678"), Err(PhoneError::UnknownCountryCode));
}

#[test]
fn rejects_numbers_invalid_for_their_region_with_the_reason() {
    let invalid = |region, reason| Err(PhoneError::InvalidForRegion { region, reason });
    assert_eq!(us("555-0100"), invalid(Region::US, InvalidReason::TooShort));
    assert_eq!(us("917 555 23688"), invalid(Region::US, InvalidReason::TooLong));
    // Area code 555 is not in service.
    assert_eq!(us("555-555-0100"), invalid(Region::US, InvalidReason::NotInUse));
    assert_eq!(us("+44 20 7946 09"), invalid(Region::GB, InvalidReason::WrongLength));
}

#[test]
fn rejects_extensions_it_could_not_dial() {
    assert_eq!(us("917-555-2368 ext. 12"), Err(PhoneError::Extension));
}

#[test]
fn error_messages_are_lowercase_and_never_repeat_the_number() {
    let errors = [
        us("").unwrap_err(),
        us("hello").unwrap_err(),
        us("+999 1234 5678").unwrap_err(),
        us("555-555-0100").unwrap_err(),
        us("917-555-2368 x12").unwrap_err(),
        "9175552368".parse::<PhoneNumber>().unwrap_err(),
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
        assert!(!message.contains("555"), "{message}");
    }
    assert_eq!(
        us("555-555-0100").unwrap_err().to_string(),
        "not a valid US number: no such number range"
    );
}

#[test]
fn from_str_reads_e164_only() {
    let number: PhoneNumber = "+19175552368".parse().unwrap();
    assert_eq!(number, us("917-555-2368").unwrap());
    for not_e164 in [
        "",
        "9175552368",
        "+1 917 555 2368",
        "+1-917-555-2368",
        "+",
        "+0123456789",
        "+1917555236812345",
        "client:alice",
    ] {
        assert!(not_e164.parse::<PhoneNumber>().is_err(), "{not_e164:?}");
    }
}

#[test]
fn from_str_keeps_possible_numbers_libphonenumber_does_not_know() {
    // Stored numbers must keep loading even if a metadata update no longer lists their range.
    let number: PhoneNumber = "+15555550100".parse().unwrap();
    assert_eq!(number.e164(), "+15555550100");
    assert_eq!(number.kind(), NumberKind::Unknown);
    assert_eq!(number.region(), None);
    assert!("+1555555010".parse::<PhoneNumber>().is_err());
}

#[test]
fn serialises_as_the_e164_string() {
    let number = us("(917) 555-2368").unwrap();
    let json = serde_json::to_string(&number).unwrap();
    assert_eq!(json, r#""+19175552368""#);
    assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), number);
    assert!(serde_json::from_str::<PhoneNumber>(r#""917-555-2368""#).is_err());
}

#[test]
fn parses_regions_case_insensitively_and_rejects_unknown_ones() {
    assert_eq!("us".parse::<Region>().unwrap(), Region::US);
    assert_eq!("GB".parse::<Region>().unwrap().as_str(), "GB");
    assert_eq!("FR".parse::<Region>().unwrap().to_string(), "FR");
    assert_eq!("XX".parse::<Region>(), Err(PhoneError::UnknownRegion("XX".to_owned())));
    assert!("USA".parse::<Region>().is_err());
}
