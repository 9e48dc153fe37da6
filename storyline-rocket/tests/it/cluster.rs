//! Many instances: three server processes sharing one PostgreSQL and one S3-compatible bucket, behind a balancer
//! that sends every request (Twilio's webhooks among them) to the next instance in turn, calling through one sandbox
//! outside them all. One instance is SIGKILLed mid-call and another started. Every story that was spoken must be stored
//! and playable from every instance, every other call must end honestly, the calls per second must hold across the
//! cluster, and a page following a call on one instance must hear of the changes the others made.

use std::time::Duration;

use futures_util::StreamExt as _;
use storyline_sandbox::Faults;
use storyline_testkit::Backend;
use storyline_testkit::chaos::{Chaos, NUMBERS, judge, seed};

/// The calls per second the cluster is given: low enough that the calls of a round queue up across instances.
const CALLS_PER_SECOND: f64 = 4.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_loses_no_story_when_an_instance_dies() {
    let backend = match Backend::shared().await {
        Ok(b) => b,
        Err(why) if std::env::var_os("STORYLINE_REQUIRE_SHARED").is_some() => panic!("CI runs the cluster test: {why}"),
        Err(why) => {
            eprintln!("SKIPPED the cluster test: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let faults = Faults::parse(&format!("duplicate=0.3,delay=0.2,max_delay=2,seed={seed}")).expect("fault spec");
    let mut chaos = Chaos::start_cluster(
        env!("CARGO_BIN_EXE_storyline-rocket").as_ref(),
        dir.path(),
        faults,
        20.0,
        20,
        backend,
        3,
        CALLS_PER_SECOND,
    )
    .await;

    // A page on instance 0 follows the first call; its callbacks go to all three.
    let mut placed = Vec::new();
    let first = chaos.place(NUMBERS[0].0).await.expect("the first call is placed");
    let stream_url = format!("{}/recording/{}/events", chaos.instance_base(0), first.id);
    let follower = tokio::spawn(async move {
        let res = reqwest::get(stream_url).await.expect("the event stream opens");
        let mut body = res.bytes_stream();
        let mut seen = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            let text = String::from_utf8_lossy(&chunk).to_string();
            for status in ["calling", "ringing", "recording", "processing", "complete"] {
                if text.contains(&format!("\"status\":\"{status}\"")) && !seen.contains(&status) {
                    seen.push(status);
                }
            }
            if seen.contains(&"complete") {
                break;
            }
        }
        seen
    });
    placed.push(first);
    // The page is open before the rest of the calls are asked for.
    tokio::time::sleep(Duration::from_millis(500)).await;

    for round in 0..2 {
        for (number, _) in NUMBERS.iter().skip(usize::from(round == 0)) {
            if let Some(p) = chaos.place(number).await {
                placed.push(p);
            }
        }
        if round == 0 {
            // One instance dies while these calls ring, talk and record; another takes its place.
            tokio::time::sleep(Duration::from_millis(rng.u64(800..2000))).await;
            chaos.kill_instance(1);
            chaos.add_instance().await;
        }
    }
    assert!(
        placed.len() >= NUMBERS.len() * 2 - 2,
        "the calls were placed: {}",
        placed.len()
    );

    let finals = chaos.wait_final(&placed, Duration::from_secs(150)).await;
    let verdict = judge(&chaos, &placed, &finals).await;
    println!("{verdict:#?}");
    assert!(verdict.stories_spoken > 0, "the run told stories");
    assert!(
        verdict.stories_lost.is_empty(),
        "stories lost: {:#?} (logs in {})",
        verdict.stories_lost,
        dir.path().display()
    );
    assert!(
        verdict.wrong_final_states.is_empty(),
        "wrong endings: {:#?}",
        verdict.wrong_final_states
    );

    // Every stored story plays from every live instance, the same bytes' length everywhere.
    let live: Vec<usize> = (0..chaos.instances()).filter(|n| *n != 1).collect();
    for (id, status) in &finals {
        if status["status"] != "complete" {
            continue;
        }
        let mut lengths = Vec::new();
        for n in &live {
            let res = chaos
                .http
                .get(format!("{}/recording/{id}/audio", chaos.instance_base(*n)))
                .send()
                .await
                .expect("the audio answers");
            assert_eq!(res.status(), 200, "{id} from instance {n}");
            let bytes = res.bytes().await.expect("the audio downloads");
            hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).expect("a playable WAV");
            lengths.push(bytes.len());
        }
        assert!(lengths.windows(2).all(|w| w[0] == w[1]), "{id}: {lengths:?}");
    }

    // The webhooks were spread: every instance that lived through the run answered some.
    let served = chaos.balancer.as_ref().expect("a balancer").served();
    let webhooks = |port: &str| {
        served
            .iter()
            .filter(|(p, path)| p.to_string() == port && path.contains("/call_"))
            .count()
    };
    for n in &live {
        let port = chaos
            .instance_base(*n)
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(webhooks(&port) > 0, "instance {n} answered none of Twilio's webhooks");
    }

    // The calls per second held across the cluster: calls were spaced by the account's interval, give or take what
    // a loaded machine adds between a call's turn and its arrival at the sandbox (without pacing, the calls of a
    // round would arrive within milliseconds of each other).
    let mut created: Vec<time::OffsetDateTime> = chaos.sandbox.report().iter().map(|c| c.created_at).collect();
    created.sort();
    let interval = time::Duration::seconds_f64(1.0 / CALLS_PER_SECOND);
    let jitter = time::Duration::milliseconds(150);
    let gaps: Vec<i64> = created
        .windows(2)
        .map(|p| (p[1] - p[0]).whole_milliseconds() as i64)
        .collect();
    println!("gaps between calls (ms): {gaps:?}");
    for pair in created.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap + jitter >= interval,
            "two calls only {gap} apart across the cluster"
        );
    }
    for (i, at) in created.iter().enumerate() {
        let within = created[i..]
            .iter()
            .take_while(|t| **t - *at < time::Duration::SECOND)
            .count();
        assert!(
            within <= CALLS_PER_SECOND as usize + 1,
            "{within} calls placed within a second of {at}"
        );
    }

    // The page on instance 0 heard every step, though other instances handled most of them.
    let seen = tokio::time::timeout(Duration::from_secs(30), follower)
        .await
        .expect("the page heard the ending")
        .expect("the follower");
    assert!(seen.contains(&"complete") && seen.len() >= 3, "the page saw {seen:?}");
}

/// A webhook as Twilio sends it for `url`, to an in-process instance.
fn signed<'c>(
    client: &'c rocket::local::asynchronous::Client,
    token: &storyline_core::AuthToken,
    url: &str,
    pairs: &[(&str, &str)],
) -> rocket::local::asynchronous::LocalRequest<'c> {
    use rocket::http::{ContentType, Header};
    use storyline_core::signature::{Algorithm, sign};
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_default();
    client
        .post(path)
        .header(ContentType::Form)
        .header(Header::new(
            "X-Twilio-Signature",
            sign(token, Algorithm::HmacSha1, url, pairs),
        ))
        .body(serde_urlencoded::to_string(pairs).expect("a form"))
}

/// Two instances on one PostgreSQL receive, at the same moment, different callbacks for the same call: the call's
/// answer on one, its recording on the other. Both take effect (neither overwrites the other), and a duplicate of
/// either changes nothing in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callbacks_for_one_call_at_two_instances_at_once_both_take_effect() {
    use storyline_core::AuthToken;
    use storyline_testkit::fake_twilio::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, figment, local, submit};
    use storyline_testkit::settings::without_limits;

    let backend = match Backend::shared().await {
        Ok(b) => b,
        Err(why) if std::env::var_os("STORYLINE_REQUIRE_SHARED").is_some() => panic!("CI runs this test: {why}"),
        Err(why) => {
            eprintln!("SKIPPED the two-instance callbacks test: {why}");
            return;
        }
    };
    let Backend::Shared { database_url, .. } = &backend else {
        unreachable!()
    };
    let fake = FakeTwilio::start().await;
    let port = storyline_testkit::ports::free_port();
    let instance = |dir: &std::path::Path| {
        let mut f = without_limits(figment(dir, port, Some(&fake))).merge(("storyline.calls_per_second", 1000.0));
        for (key, value) in backend.settings() {
            f = f.merge((key, value));
        }
        f
    };
    let (dir_a, dir_b) = (tempfile::tempdir().expect("a dir"), tempfile::tempdir().expect("a dir"));
    // Both behind one public URL, as behind a balancer: Twilio signs that URL whichever instance answers.
    let a = local(instance(dir_a.path())).await;
    let b = local(instance(dir_b.path())).await;
    let db = sqlx::PgPool::connect(database_url).await.expect("PostgreSQL");
    let token: AuthToken = AUTH_TOKEN.parse().expect("a token");
    let public = format!("http://127.0.0.1:{port}");

    for n in 0..6u32 {
        let (status, location) = submit(&a, &format!("201-555-01{n:02}"), None).await;
        assert_eq!(status.code, 303, "{location}");
        let id = location.rsplit('/').next().expect("an id").to_owned();
        let call_sid: String = sqlx::query_scalar("SELECT call_sid FROM storyline_recordings WHERE id = $1")
            .bind(&id)
            .fetch_one(&db)
            .await
            .expect("a placed call");
        let recording_sid = format!("RE{:032x}", 0xabc0 + n);
        let answered: Vec<(&str, &str)> = vec![
            ("AccountSid", ACCOUNT_SID),
            ("CallSid", &call_sid),
            ("CallStatus", "in-progress"),
            ("SequenceNumber", "1"),
        ];
        let recorded: Vec<(&str, &str)> = vec![
            ("AccountSid", ACCOUNT_SID),
            ("CallSid", &call_sid),
            ("RecordingSid", &recording_sid),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", "12"),
        ];
        let post =
            |client, hook: &str, pairs| signed(client, &token, &format!("{public}/recording/{id}/{hook}"), pairs);
        // First the call rings, told to one instance; the same callback again at the other writes nothing.
        let ringing: Vec<(&str, &str)> = vec![
            ("AccountSid", ACCOUNT_SID),
            ("CallSid", &call_sid),
            ("CallStatus", "ringing"),
            ("SequenceNumber", "0"),
        ];
        let version_of = || async {
            sqlx::query_scalar::<_, i64>("SELECT version FROM storyline_recordings WHERE id = $1")
                .bind(&id)
                .fetch_one(&db)
                .await
                .expect("the recording")
        };
        let before = version_of().await;
        assert!(post(&a, "call_status", &ringing).dispatch().await.status().code < 300);
        let rang = version_of().await;
        assert_eq!(rang, before + 1, "the ringing took effect");
        assert!(post(&b, "call_status", &ringing).dispatch().await.status().code < 300);
        assert_eq!(
            version_of().await,
            rang,
            "the duplicate, at the other instance, wrote nothing"
        );

        let (one, two) = tokio::join!(
            post(&a, "call_status", &answered).dispatch(),
            post(&b, "recording_status_updated", &recorded).dispatch()
        );
        assert!(
            one.status().code < 300 && two.status().code < 300,
            "{} {}",
            one.status(),
            two.status()
        );

        let state: String = sqlx::query_scalar("SELECT state FROM storyline_recordings WHERE id = $1")
            .bind(&id)
            .fetch_one(&db)
            .await
            .expect("the recording");
        assert!(
            state.contains(&recording_sid),
            "the recording's callback took effect: {state}"
        );
        let copies: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM storyline_jobs WHERE recording_id = $1 AND kind = 'copy_media'")
                .bind(&id)
                .fetch_one(&db)
                .await
                .expect("jobs");
        assert_eq!(copies, 1, "the recording is being copied");
    }
}
