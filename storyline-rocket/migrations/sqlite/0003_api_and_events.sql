-- Storyline's tables carry its name, so they can live in a host service's database beside the host's own.
ALTER TABLE recordings RENAME TO storyline_recordings;
ALTER TABLE jobs RENAME TO storyline_jobs;

-- What a host service gave when it started a story through the API, and when a story reached its ending.
ALTER TABLE storyline_recordings ADD COLUMN reference TEXT;
ALTER TABLE storyline_recordings ADD COLUMN prompt TEXT;
ALTER TABLE storyline_recordings ADD COLUMN finished_at INTEGER;

-- A job asked for again while it runs must run again: each request bumps the generation, and a run finishes only
-- the generation it started from.
ALTER TABLE storyline_jobs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- Events for the host service: one of each type per story. The body is fixed by the first delivery attempt, so
-- every delivery of an event is the same bytes with the same id; until then a later ending of the same type replaces it.
CREATE TABLE storyline_events (
    id           TEXT PRIMARY KEY NOT NULL,
    recording_id TEXT NOT NULL REFERENCES storyline_recordings (id),
    type         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    body         TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    delivered_at INTEGER,
    UNIQUE (recording_id, type)
);

-- `Idempotency-Key`s of the API: the first answer to a key is kept for 24 hours and given again. The recording is
-- noted as soon as it exists, so a request cut short by a crash is answered with its story, not placed twice.
CREATE TABLE storyline_idempotency_keys (
    key          TEXT PRIMARY KEY NOT NULL,
    request      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    recording_id TEXT,
    status       INTEGER,
    body         TEXT
);
