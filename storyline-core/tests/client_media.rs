//! Downloading recording media: streamed, authenticated, in both formats.
#![cfg(feature = "client")]

mod client_support;

use std::time::Duration;

use client_support::*;
use storyline_core::RecordingSid;
use storyline_core::client::{Error, MediaFormat, MediaStream};

fn recording_sid() -> RecordingSid {
    RECORDING.parse().unwrap()
}

async fn read_all(stream: &mut MediaStream) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next_chunk().await.unwrap() {
        chunks.push(chunk.to_vec());
    }
    chunks
}

#[tokio::test]
async fn wav_arrives_in_several_chunks_with_basic_auth() {
    let parts: [&[u8]; 3] = [b"RIFF\x24\x00\x00\x00WAVE", b"fmt chunk", b"data chunk"];
    let server = TestServer::start([Reply::chunks(200, "audio/x-wav", &parts, Duration::from_millis(30))]).await;
    let mut stream = client_for(&server)
        .download_recording(&recording_sid(), MediaFormat::Wav)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.content_type(), Some("audio/x-wav"));
    assert_eq!(stream.content_length(), None, "a chunked answer has no length");
    let chunks = read_all(&mut stream).await;
    assert!(chunks.len() >= 2, "the body was not buffered whole: {chunks:?}");
    assert_eq!(chunks.concat(), parts.concat());

    let r = &server.received()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, account_path(&format!("Recordings/{RECORDING}.wav")));
    assert_eq!(r.header("authorization"), Some(basic(ACCOUNT, TOKEN).as_str()));
    assert_eq!(r.header("accept"), Some("audio/x-wav"));
}

#[tokio::test]
async fn mp3_from_a_recording_url_reports_its_length() {
    let audio = vec![0xFFu8; 4096];
    let server = TestServer::start([Reply::bytes(200, "audio/mpeg", audio.clone())]).await;
    let client = client_for(&server);
    // A RecordingUrl as a callback sends it: no extension.
    let url = format!("{}{}", server.url, account_path(&format!("Recordings/{RECORDING}")));
    let mut stream = client.download_media(&url, MediaFormat::Mp3).send().await.unwrap();
    assert_eq!(stream.content_type(), Some("audio/mpeg"));
    assert_eq!(stream.content_length(), Some(4096));
    assert_eq!(read_all(&mut stream).await.concat(), audio);

    let r = &server.received()[0];
    assert_eq!(r.path, account_path(&format!("Recordings/{RECORDING}.mp3")));
    assert_eq!(r.header("authorization"), Some(basic(ACCOUNT, TOKEN).as_str()));
}

#[tokio::test]
async fn missing_media_is_a_404_api_error() {
    let server = TestServer::start([Reply::fixture(404, "error_20404.json")]).await;
    let err = client_for(&server)
        .download_recording(&recording_sid(), MediaFormat::Wav)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some(20404));
}

#[tokio::test]
async fn redirect_to_another_origin_is_followed_without_credentials() {
    let storage = TestServer::start([Reply::text(200, "audio/x-wav", "RIFFdata")]).await;
    let api = TestServer::start([
        Reply::empty(302).header("location", format!("{}/bucket/{RECORDING}.wav?sig=x", storage.url))
    ])
    .await;
    let mut stream = client_for(&api)
        .download_recording(&recording_sid(), MediaFormat::Wav)
        .send()
        .await
        .unwrap();
    assert_eq!(read_all(&mut stream).await.concat(), b"RIFFdata");
    assert!(api.received()[0].header("authorization").is_some());
    let fetched = &storage.received()[0];
    assert_eq!(fetched.path, format!("/bucket/{RECORDING}.wav?sig=x"));
    assert_eq!(fetched.header("authorization"), None, "credentials stay with twilio");
}

#[tokio::test]
async fn a_stalled_download_times_out_per_chunk() {
    let parts: [&[u8]; 2] = [b"RIFF", b"late"];
    let server = TestServer::start([Reply::chunks(200, "audio/x-wav", &parts, Duration::from_millis(400))]).await;
    let client = builder_for(&server)
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    // Headers arrive at once; the first chunk only after 400 ms.
    let mut stream = client
        .download_recording(&recording_sid(), MediaFormat::Wav)
        .send()
        .await
        .unwrap();
    let err = stream.next_chunk().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}
