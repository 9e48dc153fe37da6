-- Many instances on one database. A recording's changes are checked against the version they were made from, so two
-- instances changing one recording at once both take effect, one after the other.
ALTER TABLE storyline_recordings ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A job is held by one instance at a time, until its lease runs out: a job held by an instance that died is taken
-- over by another.
ALTER TABLE storyline_jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE storyline_jobs ADD COLUMN lease_until INTEGER;
CREATE INDEX storyline_jobs_leased ON storyline_jobs (lease_owner) WHERE lease_owner IS NOT NULL;

-- The account's calls per second, shared by every instance: the moment the next call may be placed.
CREATE TABLE storyline_pacer (
    id      INTEGER PRIMARY KEY NOT NULL,
    next_at INTEGER NOT NULL
);
INSERT INTO storyline_pacer (id, next_at) VALUES (1, 0);
