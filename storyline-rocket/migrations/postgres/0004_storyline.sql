-- Storyline's schema on PostgreSQL, as SQLite's migrations 0001 to 0004 leave it. Times are milliseconds since the Unix
-- epoch (events: seconds), as on SQLite; flags are 0 or 1.

-- One row per story recording: the state machine's state as JSON, with the status and call SID copied out for
-- queries, and the version the next change is checked against.
CREATE TABLE storyline_recordings (
    id            TEXT PRIMARY KEY NOT NULL,
    phone         TEXT NOT NULL,
    phone_display TEXT NOT NULL,
    call_sid      TEXT,
    status        TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    address       TEXT,
    reference     TEXT,
    prompt        TEXT,
    finished_at   BIGINT,
    version       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX storyline_recordings_status ON storyline_recordings (status, updated_at);
CREATE INDEX storyline_recordings_phone_created ON storyline_recordings (phone, created_at);
CREATE INDEX storyline_recordings_address_created ON storyline_recordings (address, created_at);

-- Durable background work, held by one instance at a time under a lease.
CREATE TABLE storyline_jobs (
    id           BIGSERIAL PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES storyline_recordings (id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    run_at       BIGINT NOT NULL,
    last_error   TEXT,
    done         BIGINT NOT NULL DEFAULT 0,
    generation   BIGINT NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  BIGINT,
    UNIQUE (recording_id, kind, payload)
);
CREATE INDEX storyline_jobs_due ON storyline_jobs (done, run_at);
CREATE INDEX storyline_jobs_leased ON storyline_jobs (lease_owner) WHERE lease_owner IS NOT NULL;

-- Events for the host service: one of each type per story.
CREATE TABLE storyline_events (
    id           TEXT PRIMARY KEY NOT NULL,
    recording_id TEXT NOT NULL REFERENCES storyline_recordings (id),
    type         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    body         TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    delivered_at BIGINT,
    UNIQUE (recording_id, type)
);

-- `Idempotency-Key`s of the API.
CREATE TABLE storyline_idempotency_keys (
    key          TEXT PRIMARY KEY NOT NULL,
    request      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    recording_id TEXT,
    status       BIGINT,
    body         TEXT
);

-- The account's calls per second, shared by every instance.
CREATE TABLE storyline_pacer (
    id      BIGINT PRIMARY KEY NOT NULL,
    next_at BIGINT NOT NULL
);
INSERT INTO storyline_pacer (id, next_at) VALUES (1, 0);
