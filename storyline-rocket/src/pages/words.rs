//! Every word the storyteller reads: each status of a call (the same on the page, in the status JSON and in live
//! events), and why a number cannot be called. The API gives host services the same words in its error messages.

use storyline_core::phone::{NumberKind, PhoneError, Region};
use storyline_core::recording::Status;

use crate::abuse::{CrossSite, NumberRefused};
use crate::store::Limit;
use crate::story::{PlaceError, Refusal, Unavailable};

/// What the page says for each status: a heading, what it means, and (for endings that are not a story) what to do.
/// Host services that show a story's status can show these same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// What is happening, in a few words: the page's heading.
    pub heading: String,
    /// What it means for the storyteller.
    pub detail: &'static str,
    /// For an ending that is not a story: what to do next.
    pub hint: Option<&'static str>,
}

/// The words a person reads for each status of the contract in flow.md; `number` is the number called, as typed.
///
/// ```
/// use storyline_core::recording::Status;
/// let w = storyline_rocket::words(Status::NoAnswer, "917-555-2368");
/// assert_eq!(w.heading, "We couldn't reach you");
/// assert!(w.hint.is_some());
/// ```
pub fn words(status: Status, number: &str) -> Words {
    let (heading, detail, hint) = match status.as_str() {
        "calling" => (
            format!("Calling {number}…"),
            "Your phone will ring in a moment. If many people are recording right now, you may wait in a short queue. Keep this page open.",
            None,
        ),
        "ringing" => (
            "Your phone is ringing".into(),
            "Answer it: we are calling to record your story.",
            None,
        ),
        "in_progress" => (
            "You're connected: tell your story after the beep".into(),
            "Listen to the short greeting. When you hear the beep, start telling your story.",
            None,
        ),
        "recording" => (
            "We're recording your story".into(),
            "Take your time. When you are finished, press the pound key (#) or simply hang up.",
            None,
        ),
        "processing" => (
            "Saving your story…".into(),
            "Thank you! We are saving your recording. This usually takes a few seconds.",
            None,
        ),
        "complete" => ("Your story is ready".into(), "Here is your recording.", None),
        "busy" => (
            "Your line was busy".into(),
            "We called, but the line was busy.",
            Some("When your phone is free, ask us to call again."),
        ),
        "no_answer" => (
            "We couldn't reach you".into(),
            "Your phone rang, but nobody answered.",
            Some(
                "Some phones silence calls from numbers they don't know. Keep your phone close, and answer calls from unknown numbers for the next few minutes.",
            ),
        ),
        "failed" => (
            "We couldn't connect the call".into(),
            "The call could not be put through to this number.",
            Some("Check that the number is right and that the phone can receive calls, then try again."),
        ),
        "canceled" => (
            "The call was canceled".into(),
            "The call was stopped before it was answered.",
            Some("You can ask us to call again whenever you are ready."),
        ),
        "hung_up" => (
            "The call ended before the recording began".into(),
            "We lost the call before the beep, so nothing was recorded.",
            Some("When you answer, listen to the short greeting and start speaking after the beep."),
        ),
        "no_recording" => (
            "We didn't hear a story".into(),
            "The call connected, but the recording was silent.",
            Some("Speak after the beep, close to the phone. Take your time: pauses are fine."),
        ),
        "machine" => (
            "Your voicemail answered".into(),
            "An answering machine picked up, so we didn't record anything.",
            Some("Please answer the call yourself. When your phone is at hand, ask us to call again."),
        ),
        _ => (
            "Something went wrong".into(),
            "We could not tell what happened to this call.",
            Some("You can ask us to call again whenever you are ready."),
        ),
    };
    Words { heading, detail, hint }
}

/// The steps of a call, as the recording page shows them.
pub(crate) const STEPS: [(&str, &str); 5] = [
    ("calling", "Calling"),
    ("ringing", "Ringing"),
    ("in_progress", "Connected"),
    ("recording", "Recording"),
    ("processing", "Saving"),
];

/// Why a number is refused, with the countries that are allowed.
pub(crate) fn number_refused(refused: &NumberRefused, allowed: &[Region]) -> String {
    const OWN_PHONE: &str = "Please give the number of your own phone, mobile or landline.";
    match refused {
        NumberRefused::Country(_) => format!(
            "We can't call numbers in that country. We can call numbers in {}.",
            country_list(allowed)
        ),
        NumberRefused::Kind(NumberKind::PremiumRate) => {
            format!("That's a premium-rate number, which costs extra to call. {OWN_PHONE}")
        }
        NumberRefused::Kind(NumberKind::SharedCost) => {
            format!("That's a shared-cost number, which costs extra to call. {OWN_PHONE}")
        }
        NumberRefused::Kind(NumberKind::TollFree) => {
            format!("That's a toll-free number, which usually reaches a business. {OWN_PHONE}")
        }
        NumberRefused::Kind(NumberKind::Pager) => format!("That's a pager number. {OWN_PHONE}"),
        NumberRefused::Kind(NumberKind::Voicemail) => {
            format!("That number reaches a voicemail service. {OWN_PHONE}")
        }
        NumberRefused::Kind(NumberKind::Personal | NumberKind::Uan) => {
            format!("That number forwards to other lines, so we can't be sure who answers. {OWN_PHONE}")
        }
        NumberRefused::Kind(_) => format!("We can't call that kind of number. {OWN_PHONE}"),
    }
}

/// "the United States and Canada".
fn country_list(allowed: &[Region]) -> String {
    let names: Vec<&str> = allowed
        .iter()
        .map(|r| match r.as_str() {
            "US" => "the United States",
            "CA" => "Canada",
            "GB" => "the United Kingdom",
            "AU" => "Australia",
            "NZ" => "New Zealand",
            "IE" => "Ireland",
            other => other,
        })
        .collect();
    match names.as_slice() {
        [] => "no country".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Words for a number the form cannot read.
pub(crate) fn phone_error(e: &PhoneError) -> &'static str {
    match e {
        PhoneError::Empty => "Please type your phone number, for example 917-555-2368.",
        PhoneError::Extension => "We can't dial extensions. Please give a number that rings your phone directly.",
        PhoneError::InvalidForRegion { .. } => {
            "That number doesn't look complete. Please check it, including the area code, and try again."
        }
        PhoneError::UnknownCountryCode => {
            "That country code doesn't exist. Check the digits after the + sign, or leave the + out for a US number."
        }
        _ => "That doesn't look like a phone number. Please type it like this: 917-555-2368.",
    }
}

/// Why a call was not placed.
pub(crate) fn place_error(e: &PlaceError) -> &'static str {
    match e {
        PlaceError::Refused(Refusal::CannotBeCalled) => {
            "Our phone service says this number can't be called. Please check it and try again."
        }
        PlaceError::Refused(Refusal::Country) => {
            "We can't call numbers in that country yet. Please use a US or Canadian number."
        }
        PlaceError::Refused(Refusal::Unverified) => {
            "This number hasn't been verified with our phone service yet, so we can't call it."
        }
        PlaceError::Refused(Refusal::OptedOut) => "This number has asked not to receive our calls.",
        PlaceError::Limited(limit) => self::limit(*limit),
        PlaceError::Unavailable(Unavailable::Busy) => {
            "We're placing a lot of calls right now. Please try again in a minute."
        }
        PlaceError::Unavailable(Unavailable::Unreachable) => {
            "We couldn't reach our phone service just now. Nothing was charged; please try again in a minute."
        }
        PlaceError::Internal(_) => {
            "Something went wrong on our side and we could not call you. Please try again in a minute."
        }
    }
}

/// A number, a client or the whole service reached a limit.
pub(crate) fn limit(limit: Limit) -> &'static str {
    match limit {
        Limit::Number => {
            "We've called this number several times in the last hour. Please wait a little before trying again."
        }
        Limit::NumberDaily => "We've called this number as many times as we can today. Please try again tomorrow.",
        Limit::Unanswered { .. } => {
            "We called this number more than once and nobody answered, so we'll let it rest for a day. \
             Please try again tomorrow."
        }
        Limit::Address => {
            "We've placed a lot of calls from your connection in the last hour. Please wait a little before trying again."
        }
        Limit::Service(budget) if budget.hourly() => {
            "We're very busy right now and can't place any more calls this hour. Please try again in an hour."
        }
        Limit::Service(_) => "We're very busy today and can't place any more calls. Please try again tomorrow.",
    }
}

/// The words a recording's page shows: its status's, unless saving is delayed, or Twilio could not record the call.
pub(crate) fn for_page(status: Status, number: &str, delayed: bool, recording_failed: bool) -> Words {
    if delayed {
        delayed_words()
    } else if recording_failed {
        Words {
            heading: "We couldn't save your recording".into(),
            detail: "Our phone service had a problem recording the call, so we don't have your story. We're sorry.",
            hint: Some("Please tell it to us again: ask us to call you back, and we'll record it from the start."),
        }
    } else {
        words(status, number)
    }
}

/// A story whose saving has failed a few times, and is being retried: the page stops following it live.
fn delayed_words() -> Words {
    Words {
        heading: "Your story is taking longer to save".into(),
        detail: "Your recording is safe: our phone service keeps it while we keep trying to save it here. You don't \
                 need to keep this page open. Come back to this link later to listen to your story.",
        hint: None,
    }
}

/// "Call me again" was asked of a recording that cannot be called again.
pub(crate) const CANNOT_CALL_AGAIN: &str = "That recording can't be used to call again: its story is saved, its call is \
     still going on, or it was more than a day ago. To record a new story, enter your phone number.";

/// The form was posted from another site.
pub(crate) fn cross_site(_: &CrossSite) -> &'static str {
    "For your safety, this form only works from Storyline's own page. Please type your number here and try again."
}

/// The form's body was more than a phone number.
pub(crate) const TOO_LARGE: &str = "That was more than a phone number. Please type just your number.";

/// The form's answer took too long to arrive.
pub(crate) const TOO_SLOW: &str = "Your connection was too slow to send the form. Please try again.";

#[cfg(test)]
mod tests {
    use super::*;

    const NORTH_AMERICA: [Region; 2] = [Region::US, Region::CA];

    #[test]
    fn words_name_the_allowed_countries_and_the_kind_of_line() {
        let country = number_refused(&NumberRefused::Country(Some(Region::GB)), &NORTH_AMERICA);
        assert!(country.contains("the United States and Canada"), "{country}");
        let premium = number_refused(&NumberRefused::Kind(NumberKind::PremiumRate), &NORTH_AMERICA);
        assert!(premium.contains("premium-rate"), "{premium}");
        assert_eq!(
            country_list(&[Region::US, Region::CA, Region::GB]),
            "the United States, Canada and the United Kingdom"
        );
    }

    #[test]
    fn every_status_has_words_and_every_ending_a_next_step() {
        for status in Status::ALL {
            let w = words(status, "917-555-2368");
            assert!(!w.heading.is_empty() && !w.detail.is_empty(), "{status}");
            assert_ne!(w.heading, "Something went wrong", "{status} has its own words");
            if status.is_final() && status != Status::Complete {
                assert!(w.hint.is_some(), "{status} says what to do next");
            }
        }
    }
}
