use super::*;

fn screen(line: &Line) -> Screen {
    line.watch().borrow().screen.clone()
}

#[tokio::test]
async fn a_second_call_finds_the_line_busy_until_the_first_ends() {
    let line = Line::default();
    let first = line.open().expect("the line is free");
    assert!(line.open().is_none());
    drop(first);
    assert!(matches!(screen(&line), Screen::Ended { .. }));
    assert!(line.open().is_some());
}

#[tokio::test]
async fn events_without_a_call_are_refused() {
    let line = Line::default();
    assert_eq!(line.send(PageEvent::Answer), Err(LineError::NoCall));
}

#[tokio::test]
async fn ringing_ends_as_the_person_chooses_or_unanswered() {
    let line = Line::default();
    let mut call = line.open().unwrap();
    line.send(PageEvent::Answer).unwrap();
    assert_eq!(call.ring("+12015550199", 5).await, Ring::Answered);
    line.send(PageEvent::Decline).unwrap();
    assert_eq!(call.ring("+12015550199", 5).await, Ring::Declined);
    // Closing the page does not decline: the phone rings on until the caller gives up.
    line.send(PageEvent::HangUp).unwrap();
    assert_eq!(call.ring("+12015550199", 1).await, Ring::NoAnswer);
    assert_eq!(
        screen(&line),
        Screen::Ringing {
            from: "+12015550199".into()
        }
    );
}

#[tokio::test]
async fn a_verb_waits_for_the_page_to_finish_that_verb() {
    let line = Line::default();
    let mut call = line.open().unwrap();
    let seq = line.watch().borrow().seq + 1;
    // A late answer to an earlier screen does not end this one.
    line.send(PageEvent::Done(seq - 1)).unwrap();
    line.send(PageEvent::Key('5')).unwrap();
    line.send(PageEvent::Done(seq)).unwrap();
    assert_eq!(call.say("Hello there", Some("en-US"), 1).await, Heard::Done);
    line.send(PageEvent::HangUp).unwrap();
    assert_eq!(call.play("http://127.0.0.1/greeting.mp3", 1).await, Heard::HungUp);
}

#[tokio::test]
async fn gather_collects_keys_until_the_finish_key() {
    let line = Line::default();
    let mut call = line.open().unwrap();
    for k in ['4', '2', '#', '9'] {
        line.send(PageEvent::Key(k)).unwrap();
    }
    assert_eq!(call.gather(5, "#", None).await, Ok("42".into()));
    assert_eq!(call.gather(5, "#", Some(1)).await, Ok("9".into()));
}

#[tokio::test]
async fn a_recording_is_taken_from_the_page_for_its_own_screen_only() {
    let line = Line::default();
    let mut call = line.open().unwrap();
    let seq = line.watch().borrow().seq + 1;
    line.send(PageEvent::Recording {
        seq: seq - 1,
        digits: "#".into(),
        pcm: vec![1; 10],
    })
    .unwrap();
    line.send(PageEvent::Recording {
        seq,
        digits: "#".into(),
        pcm: vec![7; 8000 * 3],
    })
    .unwrap();
    let take = call.record(2, 5, "#", true).await;
    assert_eq!(take.digits.as_deref(), Some("#"));
    assert!(!take.hung_up);
    assert_eq!(take.pcm.len(), 16_000, "cut at maxLength");
    assert!(matches!(screen(&line), Screen::Record { max_length: 2, .. }));
}

#[tokio::test]
async fn the_last_page_leaving_hangs_up_the_call() {
    let line = Line::default();
    let mut call = line.open().unwrap();
    let (a, b) = (line.viewer(), line.viewer());
    drop(a);
    drop(b);
    let take = call.record(60, 5, "#", false).await;
    assert!(take.hung_up);
    assert!(take.pcm.is_empty());
}

#[test]
fn screens_are_sent_as_the_page_reads_them() {
    let shown = Shown {
        seq: 3,
        screen: Screen::Record {
            max_length: 20,
            timeout: 15,
            finish_on_key: "#".into(),
            play_beep: true,
        },
    };
    assert_eq!(
        serde_json::to_value(&shown).unwrap(),
        serde_json::json!({"seq": 3, "state": "record", "maxLength": 20, "timeout": 15, "finishOnKey": "#", "playBeep": true})
    );
}
