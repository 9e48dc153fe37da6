//! `Idempotency-Key`s: the first answer to a key is kept for a day and given again, so a host service can retry a
//! request that starts a story without placing a second call.

use super::StoryError;
use crate::app::App;
pub(crate) use crate::store::Claim;

/// How long a key is remembered.
const KEY_TTL_MS: i64 = 24 * 3600 * 1000;

/// Takes `key` for a request (`request` says what makes two requests the same), or says what it already holds.
pub(crate) async fn claim(app: &App, key: &str, request: &str) -> Result<Claim, StoryError> {
    Ok(app.store.claim_key(key, request, KEY_TTL_MS).await?)
}

/// Notes the recording a key's request created, before its call is placed.
pub(crate) async fn started(app: &App, key: &str, id: &storyline_core::RecordingId) -> Result<(), StoryError> {
    Ok(app.store.key_started(key, id).await?)
}

/// Keeps the answer given to a key.
pub(crate) async fn answer(app: &App, key: &str, status: u16, body: &str) -> Result<(), StoryError> {
    Ok(app.store.answer_key(key, status, body).await?)
}

/// Lets a key go without an answer (our side failed, or the host should try later): it may be used again.
pub(crate) async fn release(app: &App, key: &str) -> Result<(), StoryError> {
    Ok(app.store.release_key(key).await?)
}
