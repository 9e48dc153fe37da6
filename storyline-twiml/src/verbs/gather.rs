use std::fmt;

use crate::{
    Input, Language, Method, Pause, Play, Say, SpeechModel, SpeechTimeout, UrlRef,
    element::{Render, display, element, write_parent_element},
    verbs::GatherVerb,
};

/// `<Gather>`: collects key presses or speech while its nested verbs play.
///
/// When the caller gives no input Twilio moves on to the verb after `<Gather>` (unless
/// `actionOnEmptyResult` is set), so follow it with what should happen then.
///
/// ```
/// use storyline_twiml::{Gather, Input, Say};
///
/// let gather = Gather::new().input(Input::DtmfSpeech).action("/gather").num_digits(1).timeout(5).say(Say::new("Press 1"));
/// assert_eq!(gather.to_string(),
///            r#"<Gather input="dtmf speech" action="/gather" timeout="5" numDigits="1"><Say>Press 1</Say></Gather>"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Gather {
    /// The verbs played while listening, in order.
    pub verbs: Vec<GatherVerb>,
    /// `input`: what to listen for. Default `dtmf`.
    pub input: Option<Input>,
    /// `action`: receives the input. Default: the current document.
    pub action: Option<UrlRef>,
    /// `method`: how `action` is requested. Default `POST`.
    pub method: Option<Method>,
    /// `timeout`: seconds to wait for input. Default 5.
    pub timeout: Option<u32>,
    /// `speechTimeout`: how long to wait after speech stops. Default: `timeout`.
    pub speech_timeout: Option<SpeechTimeout>,
    /// `maxSpeechTime`: longest speech in seconds. Default 60.
    pub max_speech_time: Option<u32>,
    /// `profanityFilter`: whether recognised profanity is masked. Default `true`.
    pub profanity_filter: Option<bool>,
    /// `finishOnKey`: the key that ends input, or empty for none. Default `#`.
    pub finish_on_key: Option<String>,
    /// `numDigits`: how many digits end input.
    pub num_digits: Option<u32>,
    /// `partialResultCallback`: receives partial speech results as they arrive.
    pub partial_result_callback: Option<UrlRef>,
    /// `partialResultCallbackMethod`: how that callback is requested. Default `POST`.
    pub partial_result_callback_method: Option<Method>,
    /// `language`: the language spoken. Default `en-US`.
    pub language: Option<Language>,
    /// `hints`: comma-separated words and phrases to expect.
    pub hints: Option<String>,
    /// `bargeIn`: whether input stops the nested verbs. Default `true`.
    pub barge_in: Option<bool>,
    /// `debug`: whether Twilio logs extra detail.
    pub debug: Option<bool>,
    /// `actionOnEmptyResult`: whether `action` is requested even without input. Default `false`.
    pub action_on_empty_result: Option<bool>,
    /// `speechModel`: the recognition model.
    pub speech_model: Option<SpeechModel>,
    /// `enhanced`: whether the premium `phone_call` model is used. Default `false`.
    pub enhanced: Option<bool>,
}

/// Builder methods for attributes: `name(impl Into<T>)` for `name: into T`, `name(T)` for `name: T`.
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $name:ident: into $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$name = Some(value.into());
            self
        }
        setters!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident: $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
        setters!($($rest)*);
    };
}

impl Gather {
    /// A gather with no nested verbs and every attribute at Twilio's default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a nested verb.
    #[must_use]
    pub fn verb(mut self, verb: impl Into<GatherVerb>) -> Self {
        self.verbs.push(verb.into());
        self
    }

    /// Appends a nested `<Say>`.
    #[must_use]
    pub fn say(self, say: Say) -> Self {
        self.verb(say)
    }

    /// Appends a nested `<Play>`.
    #[must_use]
    pub fn play(self, play: Play) -> Self {
        self.verb(play)
    }

    /// Appends a nested `<Pause>`.
    #[must_use]
    pub fn pause(self, pause: Pause) -> Self {
        self.verb(pause)
    }

    setters! {
        /// Sets `input`.
        input: Input;
        /// Sets `action`.
        action: into UrlRef;
        /// Sets `method`.
        method: Method;
        /// Sets `timeout`, in seconds.
        timeout: u32;
        /// Sets `speechTimeout`: [`SpeechTimeout::Auto`] or seconds.
        speech_timeout: into SpeechTimeout;
        /// Sets `maxSpeechTime`, in seconds.
        max_speech_time: u32;
        /// Sets `profanityFilter`.
        profanity_filter: bool;
        /// Sets `finishOnKey`.
        finish_on_key: into String;
        /// Sets `numDigits`.
        num_digits: u32;
        /// Sets `partialResultCallback`.
        partial_result_callback: into UrlRef;
        /// Sets `partialResultCallbackMethod`.
        partial_result_callback_method: Method;
        /// Sets `language`.
        language: into Language;
        /// Sets `hints`.
        hints: into String;
        /// Sets `bargeIn`.
        barge_in: bool;
        /// Sets `debug`.
        debug: bool;
        /// Sets `actionOnEmptyResult`.
        action_on_empty_result: bool;
        /// Sets `speechModel`.
        speech_model: into SpeechModel;
        /// Sets `enhanced`.
        enhanced: bool;
    }
}

element!(Gather = "Gather" {
    "input" => input,
    "action" => action,
    "method" => method,
    "timeout" => timeout,
    "speechTimeout" => speech_timeout,
    "maxSpeechTime" => max_speech_time,
    "profanityFilter" => profanity_filter,
    "finishOnKey" => finish_on_key,
    "numDigits" => num_digits,
    "partialResultCallback" => partial_result_callback,
    "partialResultCallbackMethod" => partial_result_callback_method,
    "language" => language,
    "hints" => hints,
    "bargeIn" => barge_in,
    "debug" => debug,
    "actionOnEmptyResult" => action_on_empty_result,
    "speechModel" => speech_model,
    "enhanced" => enhanced,
});

impl Render for Gather {
    fn render_into(&self, out: &mut String) {
        write_parent_element(out, self, &self.verbs);
    }
}

impl fmt::Display for Gather {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_attribute_with_twilios_names() {
        let gather = Gather::new()
            .input(Input::Speech)
            .action("/a")
            .method(Method::Get)
            .timeout(3)
            .speech_timeout(SpeechTimeout::Auto)
            .max_speech_time(30)
            .profanity_filter(false)
            .finish_on_key("")
            .num_digits(4)
            .partial_result_callback("/p")
            .partial_result_callback_method(Method::Post)
            .language("en-GB")
            .hints("story, memory")
            .barge_in(true)
            .debug(false)
            .action_on_empty_result(true)
            .speech_model(SpeechModel::PhoneCall)
            .enhanced(true);
        assert_eq!(
            gather.to_string(),
            concat!(
                r#"<Gather input="speech" action="/a" method="GET" timeout="3" speechTimeout="auto" maxSpeechTime="30""#,
                r#" profanityFilter="false" finishOnKey="" numDigits="4" partialResultCallback="/p""#,
                r#" partialResultCallbackMethod="POST" language="en-GB" hints="story, memory" bargeIn="true""#,
                r#" debug="false" actionOnEmptyResult="true" speechModel="phone_call" enhanced="true"/>"#,
            )
        );
    }

    #[test]
    fn renders_nested_verbs_in_order() {
        let gather = Gather::new()
            .play(Play::new("/a.mp3"))
            .pause(Pause::new())
            .say(Say::new("Go"));
        assert_eq!(
            gather.to_string(),
            "<Gather><Play>/a.mp3</Play><Pause/><Say>Go</Say></Gather>"
        );
    }
}
