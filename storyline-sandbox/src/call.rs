//! One call as Twilio runs it: placed, ringing, answered or not, the TwiML conversation, and its end, with a status
//! callback at each step the application asked for.

use std::sync::Arc;

use storyline_core::CallSid;
use time::OffsetDateTime;

use crate::phone::Ring;
use crate::records::{CallStatus, FROM_NUMBER, rfc2822};
use crate::runner;
use crate::state::State;
use crate::storyteller::Behaviour;

/// Moves the call to `status` and sends the status callback if the application asked for that event.
async fn progress(state: &Arc<State>, sid: &CallSid, status: CallStatus) {
    {
        let mut calls = state.calls.lock().expect("not poisoned");
        let Some(call) = calls.get_mut(sid) else { return };
        // An ended call stays ended, whatever a task still running for it reports.
        if call.status.is_final() {
            return;
        }
        call.status = status;
        let now = OffsetDateTime::now_utc();
        match status {
            CallStatus::Initiated => call.start_time = Some(now),
            CallStatus::InProgress => call.answered_at = Some(now),
            s if s.is_final() => call.end_time = Some(now),
            _ => {}
        }
    }
    announce(state, sid, status);
}

/// Cancels a call that has not been answered, as `POST Calls/{CallSid}.json` with `Status=canceled` does: `false` if
/// it was answered or has ended. Its task sends the callback.
pub(crate) fn cancel(state: &State, sid: &CallSid) -> bool {
    let mut calls = state.calls.lock().expect("not poisoned");
    let Some(call) = calls.get_mut(sid) else { return false };
    if !matches!(
        call.status,
        CallStatus::Queued | CallStatus::Initiated | CallStatus::Ringing
    ) {
        return false;
    }
    call.status = CallStatus::Canceled;
    call.end_time = Some(OffsetDateTime::now_utc());
    call.cancel.notify_one();
    true
}

/// Sends the status callback for `status`, if the application asked for that event.
fn announce(state: &Arc<State>, sid: &CallSid, status: CallStatus) {
    let now = OffsetDateTime::now_utc();
    let (event, callback) = {
        let mut calls = state.calls.lock().expect("not poisoned");
        let Some(call) = calls.get_mut(sid) else { return };
        let event = match status {
            CallStatus::Queued => return,
            CallStatus::Initiated => "initiated",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "answered",
            _ => "completed",
        };
        if !call.events.iter().any(|e| e == event) {
            return;
        }
        let Some(url) = call.status_callback.clone() else {
            return;
        };
        let seq = call.sequence;
        call.sequence += 1;
        let duration = call.duration_secs(state.speed).unwrap_or(0);
        (
            (event, seq, duration, status),
            (url, call.status_callback_method.clone()),
        )
    };
    let (event, seq, duration, status) = event;
    let mut params = state.common_params(sid);
    params.push(("Timestamp".into(), rfc2822(now)));
    params.push(("CallbackSource".into(), "call-progress-events".into()));
    params.push(("SequenceNumber".into(), seq.to_string()));
    if event == "completed" {
        params.push(("CallDuration".into(), duration.to_string()));
        params.push(("Duration".into(), ((duration + 59) / 60).to_string()));
        params.push(("SipResponseCode".into(), status.sip_code().to_string()));
    }
    // Each callback is its own HTTP request: they are not ordered, as with Twilio.
    let state = Arc::clone(state);
    tokio::spawn(async move {
        state.deliver(&callback.1, &callback.0, &params).await;
    });
}

/// Places the call on the virtual phone and runs it to its end, then lets the sandbox forget what it no longer keeps.
pub(crate) async fn run(state: Arc<State>, sid: CallSid) {
    let Some(canceled) = state
        .calls
        .lock()
        .expect("not poisoned")
        .get(&sid)
        .map(|c| c.cancel.clone())
    else {
        return;
    };
    tokio::select! {
        biased;
        () = canceled.notified() => {
            // Twilio says nothing of a call canceled while still queued.
            let dialled = state.calls.lock().expect("not poisoned").get(&sid).is_some_and(|c| c.start_time.is_some());
            if dialled {
                announce(&state, &sid, CallStatus::Canceled);
            }
        }
        () = place(&state, &sid) => {}
    }
    state.evict();
}

async fn place(state: &Arc<State>, sid: &CallSid) {
    let (to, timeout, amd) = {
        let calls = state.calls.lock().expect("not poisoned");
        let Some(c) = calls.get(sid) else { return };
        (c.to.clone(), c.timeout, c.machine_detection.is_some())
    };
    let mut behaviour = Behaviour::for_number(&to);
    let mut phone = None;
    if behaviour == Behaviour::BrowserPhone {
        match state.phone.open() {
            Some(session) => phone = Some(session),
            // One call at a time reaches the sandbox phone.
            None => behaviour = Behaviour::Busy,
        }
    }
    // Outbound calls are paced and start from `queued`.
    state.wait(0.5).await;
    progress(state, sid, CallStatus::Initiated).await;
    state.wait(1.0).await;
    if behaviour == Behaviour::Unreachable {
        progress(state, sid, CallStatus::Failed).await;
        return;
    }
    progress(state, sid, CallStatus::Ringing).await;
    match behaviour {
        Behaviour::Busy => {
            state.wait(2.0).await;
            progress(state, sid, CallStatus::Busy).await;
            return;
        }
        Behaviour::CanceledWhileRinging => {
            state.wait(2.0).await;
            cancel(state, sid);
            // The call's task sees the cancel and ends the call.
            std::future::pending::<()>().await;
        }
        Behaviour::NeverAnswers => {
            state.wait(f64::from(timeout)).await;
            progress(state, sid, CallStatus::NoAnswer).await;
            return;
        }
        Behaviour::BrowserPhone => {
            let Some(session) = phone.as_mut() else { return };
            match session.ring(FROM_NUMBER, timeout).await {
                Ring::Answered => {}
                Ring::Declined => {
                    session.end_with("You declined the call.");
                    progress(state, sid, CallStatus::Busy).await;
                    return;
                }
                Ring::NoAnswer => {
                    session.end_with("Missed call.");
                    progress(state, sid, CallStatus::NoAnswer).await;
                    return;
                }
            }
        }
        // One ring.
        _ => state.wait(4.0).await,
    }
    if amd {
        // Answering-machine detection listens to the first seconds before the TwiML is fetched.
        state.wait(2.5).await;
        let by = if behaviour == Behaviour::AnsweringMachine {
            "machine_start"
        } else {
            "human"
        };
        if let Some(c) = state.calls.lock().expect("not poisoned").get_mut(sid) {
            c.answered_by = Some(by.into());
        }
    }
    progress(state, sid, CallStatus::InProgress).await;
    if state
        .calls
        .lock()
        .expect("not poisoned")
        .get(sid)
        .is_none_or(|c| c.status.is_final())
    {
        // Canceled just before the answer.
        return;
    }
    runner::converse(state, sid, behaviour, phone.as_mut()).await;
    progress(state, sid, CallStatus::Completed).await;
}
