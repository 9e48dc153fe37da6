//! Phone numbers: what a person types, parsed into E.164 with libphonenumber's rules.
//!
//! [`PhoneNumber::parse`] reads a number the way a person writes it, with a default
//! [`Region`] for numbers written without a country code, and accepts only numbers that
//! libphonenumber considers valid (a number range in use, not just the right number of
//! digits). [`PhoneNumber`]'s [`FromStr`] reads the E.164 form that Twilio and the database
//! hand back.
//!
//! ```
//! use storyline_core::phone::{NumberKind, PhoneNumber, Region};
//!
//! let number = PhoneNumber::parse("(917) 555-2368", Region::US).unwrap();
//! assert_eq!(number.e164(), "+19175552368");
//! assert_eq!(number.national(), "(917) 555-2368");
//! assert_eq!(number.international(), "+1 917-555-2368");
//! assert_eq!(number.region(), Some(Region::US));
//! assert_eq!(number.kind(), NumberKind::FixedLineOrMobile);
//!
//! let back: PhoneNumber = "+19175552368".parse().unwrap();
//! assert_eq!(back, number);
//! ```
//!
//! The sandbox's fictional numbers, `+1 201-555-0100` to `0108`, are valid for
//! libphonenumber (area code 201 is in service; only the 555 exchange is fictional), so they
//! need no special case.

use std::fmt;
use std::str::FromStr;

use phonenumber::metadata::{DATABASE, Metadata};
use phonenumber::{Mode, ParseError, Type, country};

/// A country or region, as an ISO 3166-1 alpha-2 code that libphonenumber knows, such as `US`.
///
/// Parsing is case-insensitive; the code is kept upper-case.
///
/// ```
/// use storyline_core::phone::Region;
/// let gb: Region = "gb".parse().unwrap();
/// assert_eq!(gb, Region::GB);
/// assert_eq!(gb.to_string(), "GB");
/// assert!("XX".parse::<Region>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(&'static str);

impl Region {
    /// The United States.
    pub const US: Region = Region("US");
    /// Canada.
    pub const CA: Region = Region("CA");
    /// The United Kingdom.
    pub const GB: Region = Region("GB");

    /// The two-letter code, upper-case.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The region libphonenumber's metadata describes under this id, if any.
    fn from_metadata_id(id: &'static str) -> Option<Region> {
        // Non-geographic entities (+800, +881…) share the id "001", which is no ISO region.
        (id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase())).then_some(Region(id))
    }

    fn country_id(self) -> Result<country::Id, PhoneError> {
        self.0.parse().map_err(|_| PhoneError::UnknownRegion(self.0.to_owned()))
    }
}

impl FromStr for Region {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        let metadata: Option<&'static Metadata> = DATABASE.by_id(code.as_str());
        metadata
            .and_then(|m| Region::from_metadata_id(m.id()))
            .filter(|r| r.country_id().is_ok())
            .ok_or(PhoneError::UnknownRegion(s.to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Why a number is not valid for its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// Fewer digits than any number there (for example a local number without its area code).
    TooShort,
    /// More digits than any number there.
    TooLong,
    /// Between the shortest and the longest, but no number there has this many digits.
    WrongLength,
    /// The right length, but no number range in use starts this way.
    NotInUse,
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidReason::TooShort => "too short",
            InvalidReason::TooLong => "too long",
            InvalidReason::WrongLength => "wrong number of digits",
            InvalidReason::NotInUse => "no such number range",
        })
    }
}

/// A string that is not a phone number this product can call.
///
/// Messages never repeat the input: phone numbers are personal data and errors get logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but white space was given.
    #[error("no phone number was given")]
    Empty,
    /// The text cannot be read as a phone number at all.
    #[error("not a phone number")]
    NotANumber,
    /// The number starts with a country calling code that does not exist.
    #[error("not a known country calling code")]
    UnknownCountryCode,
    /// The number is not valid in the region it belongs to.
    #[error("not a valid {region} number: {reason}")]
    InvalidForRegion {
        /// The region the number was judged against.
        region: Region,
        /// What is wrong with it.
        reason: InvalidReason,
    },
    /// The number carries an extension, which a placed call cannot dial.
    #[error("phone extensions are not supported")]
    Extension,
    /// A stored or Twilio-supplied value is not in E.164 form (`+` and digits only).
    #[error("not in E.164 form: expected + followed by up to 15 digits")]
    NotE164,
    /// The region code is not an ISO 3166 alpha-2 code libphonenumber knows.
    #[error("unknown region `{0}`")]
    UnknownRegion(String),
}

/// The kind of line a number belongs to, as libphonenumber's metadata tells it.
///
/// In the North American Numbering Plan mobile and fixed-line numbers share ranges, so US
/// and Canadian numbers are mostly [`NumberKind::FixedLineOrMobile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NumberKind {
    /// A mobile phone.
    Mobile,
    /// A fixed line.
    FixedLine,
    /// Either; the number alone does not tell.
    FixedLineOrMobile,
    /// Free to call.
    TollFree,
    /// Premium rate: the caller pays extra.
    PremiumRate,
    /// The cost is shared between caller and callee.
    SharedCost,
    /// Voice over IP.
    Voip,
    /// A personal number that routes to another line.
    Personal,
    /// A pager.
    Pager,
    /// A universal access ("company") number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// None of the above, or a number that is possible but not known to be valid.
    Unknown,
}

impl From<Type> for NumberKind {
    fn from(t: Type) -> Self {
        match t {
            Type::Mobile => NumberKind::Mobile,
            Type::FixedLine => NumberKind::FixedLine,
            Type::FixedLineOrMobile => NumberKind::FixedLineOrMobile,
            Type::TollFree => NumberKind::TollFree,
            Type::PremiumRate => NumberKind::PremiumRate,
            Type::SharedCost => NumberKind::SharedCost,
            Type::Voip => NumberKind::Voip,
            Type::PersonalNumber => NumberKind::Personal,
            Type::Pager => NumberKind::Pager,
            Type::Uan => NumberKind::Uan,
            Type::Voicemail => NumberKind::Voicemail,
            _ => NumberKind::Unknown,
        }
    }
}

/// A phone number, normalised to E.164 (`+19175552368`).
///
/// Equality, hashing, [`Display`](fmt::Display) and serde all use the E.164 form.
#[derive(Debug, Clone)]
pub struct PhoneNumber {
    e164: String,
    national: String,
    international: String,
    region: Option<Region>,
    kind: NumberKind,
    country_code: u16,
}

impl PhoneNumber {
    /// Parses a number as a person types it (`917-555-2368`, `(917) 555-2368`,
    /// `+1 917 555 2368`, `1-917-555-2368`…), reading numbers without a country code as
    /// numbers of `default_region`.
    ///
    /// Only valid numbers are accepted: the right length and a range in use.
    pub fn parse(input: &str, default_region: Region) -> Result<PhoneNumber, PhoneError> {
        if input.trim().is_empty() {
            return Err(PhoneError::Empty);
        }
        let parsed = phonenumber::parse(Some(default_region.country_id()?), input)
            .map_err(|e| parse_error(e, default_region))?;
        let parsed = reparse_foreign(parsed, input, default_region)?;
        if parsed.extension().is_some_and(|ext| !ext.is_empty()) {
            return Err(PhoneError::Extension);
        }
        let number = PhoneNumber::from_parsed(&parsed);
        if !parsed.is_valid() {
            return Err(number.invalid(default_region));
        }
        Ok(number)
    }

    /// The number in E.164: `+` and digits, such as `+19175552368`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The number as it is written inside its own country, such as `(917) 555-2368`.
    pub fn national(&self) -> String {
        self.national.clone()
    }

    /// The number as it is written for callers abroad, such as `+1 917-555-2368`.
    pub fn international(&self) -> String {
        self.international.clone()
    }

    /// The region the number belongs to, when its range is known.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The kind of line the number belongs to.
    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    fn from_parsed(parsed: &phonenumber::PhoneNumber) -> PhoneNumber {
        let metadata: Option<&'static Metadata> = parsed.metadata(&DATABASE);
        PhoneNumber {
            e164: parsed.format().mode(Mode::E164).to_string(),
            national: parsed.format().mode(Mode::National).to_string(),
            international: parsed.format().mode(Mode::International).to_string(),
            region: metadata.and_then(|m| Region::from_metadata_id(m.id())),
            kind: parsed.number_type(&DATABASE).into(),
            country_code: parsed.code().value(),
        }
    }

    /// Digits after the country calling code (the national significant number).
    fn national_significant_len(&self) -> usize {
        let code_len = self.country_code.to_string().len();
        self.e164.len().saturating_sub(1 + code_len)
    }

    /// The metadata this number is judged against: its own region's when libphonenumber
    /// recognises the range, otherwise the main region of its country calling code.
    fn judging_metadata(&self) -> Option<&'static Metadata> {
        if let Some(region) = self.region {
            return DATABASE.by_id(region.as_str());
        }
        let candidates = DATABASE.by_code(&self.country_code)?;
        candidates
            .iter()
            .find(|m| m.is_main_country_for_code())
            .or(candidates.first())
            .copied()
    }

    /// Whether the length is one that numbers of the country have (E.164-wide, not local-only).
    fn possible_length(&self) -> Result<(), InvalidReason> {
        let Some(metadata) = self.judging_metadata() else {
            return Err(InvalidReason::NotInUse);
        };
        let len = self.national_significant_len();
        let descriptors = metadata.descriptors();
        let lengths: Vec<u16> = [
            Type::FixedLine,
            Type::Mobile,
            Type::TollFree,
            Type::PremiumRate,
            Type::SharedCost,
            Type::PersonalNumber,
            Type::Voip,
            Type::Pager,
            Type::Uan,
            Type::Voicemail,
        ]
        .into_iter()
        .filter_map(|t| descriptors.get(t))
        .flat_map(|d| d.possible_length().iter().copied())
        .chain(descriptors.general().possible_length().iter().copied())
        .collect();
        let (Some(&min), Some(&max)) = (lengths.iter().min(), lengths.iter().max()) else {
            return Err(InvalidReason::NotInUse);
        };
        match u16::try_from(len).unwrap_or(u16::MAX) {
            n if n < min => Err(InvalidReason::TooShort),
            n if n > max => Err(InvalidReason::TooLong),
            n if !lengths.contains(&n) => Err(InvalidReason::WrongLength),
            _ => Ok(()),
        }
    }

    fn invalid(&self, default_region: Region) -> PhoneError {
        let region = self
            .judging_metadata()
            .and_then(|m| Region::from_metadata_id(m.id()))
            .unwrap_or(default_region);
        let reason = self.possible_length().err().unwrap_or(InvalidReason::NotInUse);
        PhoneError::InvalidForRegion { region, reason }
    }
}

/// Works around `phonenumber` 0.3.10 applying the *default* region's rules to a number typed
/// with its own country code: `+44 161 496 0000` with default US loses its `1` (the US national
/// prefix) and `+44 (0)20…` keeps its `0`, which would dial another number or none.
///
/// A number written with `+` is parsed again without a default region, where only its own
/// country's rules apply. A number written with an international dialling prefix
/// (`011 44…`) is parsed again as `+` followed by the digits after each candidate prefix
/// length; the first valid reading with the same country code wins.
fn reparse_foreign(
    parsed: phonenumber::PhoneNumber,
    input: &str,
    default_region: Region,
) -> Result<phonenumber::PhoneNumber, PhoneError> {
    let code = parsed.code().value();
    let default_code = DATABASE.by_id(default_region.as_str()).map(|m| m.country_code());
    if default_code == Some(code) {
        return Ok(parsed);
    }
    if parsed.code().source() == country::Source::Plus {
        return phonenumber::parse(None, input).map_err(|e| parse_error(e, default_region));
    }
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let code_digits = code.to_string();
    let reread = (0..=5)
        .filter_map(|skip| digits.get(skip..))
        .filter(|rest| rest.starts_with(&code_digits))
        .filter_map(|rest| phonenumber::parse(None, format!("+{rest}")).ok())
        .find(|n| n.code().value() == code && n.is_valid());
    Ok(reread.unwrap_or(parsed))
}

fn parse_error(error: ParseError, region: Region) -> PhoneError {
    let invalid = |reason| PhoneError::InvalidForRegion { region, reason };
    match error {
        ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => invalid(InvalidReason::TooShort),
        ParseError::TooLong => invalid(InvalidReason::TooLong),
        ParseError::NoNumber | ParseError::MalformedInteger(_) => PhoneError::NotANumber,
    }
}

/// Reads E.164 only (`+15555550100`): the form Twilio sends and the database stores.
///
/// Unlike [`PhoneNumber::parse`], a number of a possible length is accepted even when
/// libphonenumber does not know its range: the value was checked when it was first entered,
/// and a stored number must keep loading when a newer metadata release changes its view of
/// a range.
impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        let well_formed =
            (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if !well_formed {
            return Err(PhoneError::NotE164);
        }
        let parsed = phonenumber::parse(None, s).map_err(|e| parse_error(e, Region::US))?;
        let number = PhoneNumber::from_parsed(&parsed);
        // libphonenumber rewrites some inputs (it strips what it takes for a national
        // prefix); a value that does not survive the round trip is not the number we were given.
        if number.e164 != s {
            return Err(PhoneError::NotE164);
        }
        if !parsed.is_valid() {
            number.possible_length().map_err(|_| number.invalid(Region::US))?;
        }
        Ok(number)
    }
}

impl PartialEq for PhoneNumber {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}

impl Eq for PhoneNumber {}

impl std::hash::Hash for PhoneNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.e164
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164)
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(input: &str) -> Result<PhoneNumber, PhoneError> {
        PhoneNumber::parse(input, Region::US)
    }

    #[test]
    fn sandbox_numbers_are_valid_us_numbers() {
        for last in 0..=8 {
            let number = us(&format!("201-555-010{last}")).unwrap();
            assert_eq!(number.e164(), format!("+1201555010{last}"));
            assert_eq!(number.kind(), NumberKind::FixedLineOrMobile);
            assert_eq!(number.region(), Some(Region::US));
        }
    }

    #[test]
    fn reports_why_a_number_is_invalid() {
        let reason = |input| match us(input) {
            Err(PhoneError::InvalidForRegion { reason, .. }) => reason,
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(reason("555-0100"), InvalidReason::TooShort);
        assert_eq!(reason("+1 917 555 23688"), InvalidReason::TooLong);
        assert_eq!(reason("555-555-0100"), InvalidReason::NotInUse);
        assert_eq!(reason("12"), InvalidReason::TooShort);
    }

    #[test]
    fn judges_a_foreign_number_against_its_own_region() {
        match us("+44 20 7946 09") {
            Err(PhoneError::InvalidForRegion { region, .. }) => assert_eq!(region, Region::GB),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keeps_foreign_numbers_whose_digits_start_like_the_default_national_prefix() {
        for input in ["+44 161 496 0000", "011 44 161 496 0000", "+44 (0)161 496 0000"] {
            assert_eq!(us(input).unwrap().e164(), "+441614960000", "{input}");
        }
        assert_eq!(us("+33 1 23 45 67 89").unwrap().e164(), "+33123456789");
        assert_eq!(us("+800 1234 5678").unwrap().e164(), "+80012345678");
    }

    #[test]
    fn e164_parsing_refuses_numbers_libphonenumber_would_rewrite() {
        // The port strips a leading 8 of Russian 800 numbers as if it were the trunk prefix.
        assert_eq!("+78005553535".parse::<PhoneNumber>(), Err(PhoneError::NotE164));
    }

    #[test]
    fn region_rejects_non_geographic_and_unknown_ids() {
        assert!("001".parse::<Region>().is_err());
        assert!("ZZ".parse::<Region>().is_err());
        assert!("".parse::<Region>().is_err());
        assert_eq!(" ca ".parse::<Region>().unwrap(), Region::CA);
    }
}
