//! Twilio's webhooks as the flow sees them: a form turned into the event it carries, applied, and answered with the
//! TwiML Twilio needs. The words the storyteller hears are here.

use storyline_core::RecordingId;
use storyline_core::recording::{
    CallAnswered, CallStatusCallback, Event, RecordAction, RecordingStatusCallback, Status,
};
use storyline_twiml::{Method, Play, Record, RecordingEvent, Response, Say, Trim};

use super::{StoryError, apply_unless_known};
use crate::app::App;

/// Which webhook a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    /// The call was answered: Twilio wants TwiML.
    CallStarted,
    /// `<Record action>`.
    Recorded,
    /// The call's status callback.
    CallStatus,
    /// The recording's status callback.
    RecordingStatus,
}

const SAVED: &str = "Thank you. Your story is saved. You can listen to it on the page you used to call. Goodbye.";
const NOTHING_HEARD: &str =
    "We didn't hear anything, so nothing was recorded. Please try again from the page whenever you are ready. Goodbye.";

/// Parses a webhook's form into the event it carries.
fn event_for(hook: Hook, pairs: &[(String, String)]) -> Result<Event, String> {
    let form = serde_urlencoded::to_string(pairs).map_err(|e| e.to_string())?;
    let event = match hook {
        Hook::CallStarted => Event::from(serde_urlencoded::from_str::<CallAnswered>(&form).map_err(|e| e.to_string())?),
        Hook::Recorded => Event::from(serde_urlencoded::from_str::<RecordAction>(&form).map_err(|e| e.to_string())?),
        Hook::CallStatus => {
            Event::from(serde_urlencoded::from_str::<CallStatusCallback>(&form).map_err(|e| e.to_string())?)
        }
        Hook::RecordingStatus => {
            Event::from(serde_urlencoded::from_str::<RecordingStatusCallback>(&form).map_err(|e| e.to_string())?)
        }
    };
    Ok(event)
}

/// Handles a signed webhook: applies its event durably, then answers with the TwiML Twilio needs (an empty
/// `<Response/>` for callbacks).
pub(crate) async fn webhook(
    app: &App,
    id: &RecordingId,
    hook: Hook,
    pairs: &[(String, String)],
) -> Result<Response, StoryError> {
    let event = event_for(hook, pairs).map_err(|e| {
        tracing::warn!(?hook, "webhook without the fields it needs: {e}");
        StoryError::BadWebhook(e)
    })?;
    let stored = apply_unless_known(app, id, event).await?;
    Ok(match hook {
        Hook::CallStarted if matches!(stored.recording.status(), Status::InProgress | Status::Recording) => {
            greeting(app, id, stored.prompt.as_deref())
        }
        Hook::CallStarted => Response::new().hangup(),
        Hook::Recorded => Response::new()
            .say(Say::new(SAVED).voice(app.settings.voice.as_str()))
            .hangup(),
        Hook::CallStatus | Hook::RecordingStatus => Response::new(),
    })
}

/// The greeting (and the question, when the story has one), then the `<Record>` that follows.
fn greeting(app: &App, id: &RecordingId, prompt: Option<&str>) -> Response {
    let s = &app.settings;
    let mut doc = Response::new();
    doc = match &s.greeting_audio_url {
        Some(url) => doc.play(Play::new(url.as_str())),
        None => doc.say(Say::new(s.greeting.as_str()).voice(s.voice.as_str())),
    };
    if let Some(question) = prompt {
        doc = doc.say(Say::new(format!("Here is your question. {question}")).voice(s.voice.as_str()));
    }
    doc.record(
        Record::new()
            .action(app.webhook_url(id, "recorded"))
            .method(Method::Post)
            .recording_status_callback(app.webhook_url(id, "recording_status_updated"))
            .recording_status_callback_method(Method::Post)
            .recording_status_callback_event([
                RecordingEvent::InProgress,
                RecordingEvent::Completed,
                RecordingEvent::Absent,
            ])
            .max_length(s.max_story_seconds)
            .finish_on_key(s.finish_key.to_string())
            // Storytellers pause to remember; only a long silence ends the story.
            .timeout(15)
            .play_beep(true)
            .trim(Trim::TrimSilence),
    )
    // Reached only when nothing was recorded (Twilio skips `action` for an empty recording).
    .say(Say::new(NOTHING_HEARD).voice(s.voice.as_str()))
    .hangup()
}
