-- What the call budgets count: each call's billed length, once it ended (Twilio's `CallDuration`, in seconds), and
-- every recording by when it was asked for, for the whole service's hourly and daily budgets.
ALTER TABLE storyline_recordings ADD COLUMN call_seconds BIGINT;
CREATE INDEX storyline_recordings_created ON storyline_recordings (created_at);

-- The browser that asked for the story, as the SHA-256 of the random token in its cookie: only it is shown the full
-- phone number; anyone else holding the page's link sees it masked.
ALTER TABLE storyline_recordings ADD COLUMN owner TEXT;
