-- What the pages show of a stored recording, worked out once when it is stored: its exact length and size, and its
-- loudness over its length (the waveform's bars, 0 to 100, separated by commas). The audio itself is never read to
-- draw a page.
CREATE TABLE storyline_audio (
    recording_id TEXT PRIMARY KEY NOT NULL REFERENCES storyline_recordings (id),
    size_bytes   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    peaks        TEXT NOT NULL
);
