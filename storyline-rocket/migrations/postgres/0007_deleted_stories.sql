-- A story deleted by its storyteller (or by the retention setting): its number, address and owner are erased and its
-- audio removed; the row stays, marked, so its page and the API can say it was deleted.
ALTER TABLE storyline_recordings ADD COLUMN deleted_at BIGINT;
