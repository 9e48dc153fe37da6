//! The words each status of a call is shown in: the same on the page, in the status JSON and in live events.

/// What the page says for each status: a heading, what it means, and (for endings that are not a story) what to do.
pub struct Words {
    /// What is happening, in a few words: the page's heading.
    pub heading: String,
    /// What it means for the storyteller.
    pub detail: &'static str,
    /// For an ending that is not a story: what to do next.
    pub hint: Option<&'static str>,
}

/// Words a person uses for each status of the contract in flow.md.
pub fn words(status: &str, number: &str) -> Words {
    let (heading, detail, hint) = match status {
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
pub(super) const STEPS: [(&str, &str); 5] = [
    ("calling", "Calling"),
    ("ringing", "Ringing"),
    ("in_progress", "Connected"),
    ("recording", "Recording"),
    ("processing", "Saving"),
];

/// Whether a status is an ending.
pub fn is_final(status: &str) -> bool {
    !matches!(
        status,
        "calling" | "ringing" | "in_progress" | "recording" | "processing"
    )
}
