-- What a host service gave when it started a story through the API, and when a story reached its ending.
ALTER TABLE recordings ADD COLUMN reference TEXT;
ALTER TABLE recordings ADD COLUMN prompt TEXT;
ALTER TABLE recordings ADD COLUMN finished_at INTEGER;

-- Events for the host service: the body is fixed when the event happens, so every delivery of it is the same bytes
-- with the same id. One event of each type per story.
CREATE TABLE events (
    id           TEXT PRIMARY KEY NOT NULL,
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    type         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    body         TEXT NOT NULL,
    delivered_at INTEGER,
    UNIQUE (recording_id, type)
);

-- `Idempotency-Key`s of the API: the first answer to a key is kept for 24 hours and given again.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY NOT NULL,
    request      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    status       INTEGER,
    body         TEXT
);
