-- One row per story recording: the state machine's state as JSON, with the status and call SID copied out for queries.
CREATE TABLE recordings (
    id            TEXT PRIMARY KEY NOT NULL,
    phone         TEXT NOT NULL,
    phone_display TEXT NOT NULL,
    call_sid      TEXT,
    status        TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX recordings_status ON recordings (status, updated_at);

-- Durable background work (copying media, deleting Twilio's copy): survives restarts, retried with backoff.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       INTEGER NOT NULL,
    last_error   TEXT,
    done         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (recording_id, kind, payload)
);
CREATE INDEX jobs_due ON jobs (done, run_at);
