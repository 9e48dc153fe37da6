//! Which numbers may be called: numbers of the allowed countries, on lines a person answers.

use storyline_core::PhoneNumber;
use storyline_core::phone::{NumberKind, Region};

/// Why the form will not call a number that is otherwise valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum NumberRefused {
    /// The number belongs to a country that is not on `STORYLINE_ALLOWED_COUNTRIES` (or to none, like `+800`).
    #[error("the number's country ({}) is not allowed", .0.map_or("none", |r| r.as_str()))]
    Country(Option<Region>),
    /// The line costs the caller extra or does not ring a person: premium rate, shared cost, toll-free, UAN,
    /// personal (forwarding), pager, voicemail access, or a kind libphonenumber cannot tell.
    #[error("{0:?} numbers are never called")]
    Kind(NumberKind),
}

/// Lines a storyteller answers. Everything else is refused, including kinds libphonenumber may add later.
fn callable(kind: NumberKind) -> bool {
    matches!(
        kind,
        NumberKind::Mobile | NumberKind::FixedLine | NumberKind::FixedLineOrMobile | NumberKind::Voip
    )
}

/// Checks a parsed number against the allow-list of countries and the callable kinds of line.
pub(crate) fn check(number: &PhoneNumber, allowed: &[Region]) -> Result<(), NumberRefused> {
    let region = number.region();
    if !region.is_some_and(|r| allowed.contains(&r)) {
        return Err(NumberRefused::Country(region));
    }
    let kind = number.kind();
    if !callable(kind) {
        return Err(NumberRefused::Kind(kind));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NORTH_AMERICA: [Region; 2] = [Region::US, Region::CA];

    fn number(typed: &str) -> PhoneNumber {
        PhoneNumber::parse(typed, Region::US).unwrap_or_else(|e| panic!("{typed} parses: {e}"))
    }

    #[test]
    fn accepts_every_sandbox_demo_number() {
        for last in 0..=8 {
            let n = number(&format!("+1 201-555-010{last}"));
            assert_eq!(check(&n, &NORTH_AMERICA), Ok(()), "{n:?}");
        }
    }

    #[test]
    fn accepts_ordinary_us_and_canadian_numbers() {
        assert_eq!(check(&number("(917) 555-2368"), &NORTH_AMERICA), Ok(()));
        assert_eq!(check(&number("+1 416-555-0142"), &NORTH_AMERICA), Ok(()));
    }

    #[test]
    fn refuses_countries_off_the_list_including_nanp_neighbours() {
        // Jamaica shares +1 with the US: the country code alone must not let it through.
        let jamaica = number("+1 876-555-0123");
        assert_eq!(
            check(&jamaica, &NORTH_AMERICA),
            Err(NumberRefused::Country(Some("JM".parse().expect("a region"))))
        );
        let london = number("+44 20 7946 0018");
        assert_eq!(
            check(&london, &NORTH_AMERICA),
            Err(NumberRefused::Country(Some(Region::GB)))
        );
        assert_eq!(check(&london, &[Region::GB]), Ok(()));
    }

    #[test]
    fn refuses_non_geographic_numbers() {
        let freephone = number("+800 1234 5678");
        assert_eq!(check(&freephone, &NORTH_AMERICA), Err(NumberRefused::Country(None)));
    }

    #[test]
    fn refuses_premium_toll_free_and_personal_lines() {
        assert_eq!(
            check(&number("1-900-555-0123"), &NORTH_AMERICA),
            Err(NumberRefused::Kind(NumberKind::PremiumRate))
        );
        assert_eq!(
            check(&number("1-800-555-0123"), &NORTH_AMERICA),
            Err(NumberRefused::Kind(NumberKind::TollFree))
        );
        assert_eq!(
            check(&number("1-500-555-0123"), &NORTH_AMERICA),
            Err(NumberRefused::Kind(NumberKind::Personal))
        );
    }

    #[test]
    fn refuses_premium_shared_cost_pager_uan_personal_and_voicemail_lines_abroad() {
        let allowed: Vec<Region> = ["GB", "AU", "DE"]
            .iter()
            .map(|c| c.parse().expect("a region"))
            .collect();
        // libphonenumber's own example numbers of each kind.
        for (typed, kind) in [
            ("+44 90 1234 5678", NumberKind::PremiumRate),
            ("+61 1300 123 456", NumberKind::SharedCost),
            ("+44 76 4012 3456", NumberKind::Pager),
            ("+44 55 1234 5678", NumberKind::Uan),
            ("+44 70 1234 5678", NumberKind::Personal),
            ("+49 177 991234567", NumberKind::Voicemail),
            ("+44 800 123 4567", NumberKind::TollFree),
        ] {
            assert_eq!(
                check(&number(typed), &allowed),
                Err(NumberRefused::Kind(kind)),
                "{typed}"
            );
        }
        assert_eq!(
            check(&number("+44 56 1234 5678"), &allowed),
            Ok(()),
            "VoIP lines ring a person"
        );
    }
}
