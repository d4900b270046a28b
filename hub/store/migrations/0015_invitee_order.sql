-- The order people were named in for a meeting, as a column of its own: the invitees were
-- listed by SQLite's rowid, which PostgreSQL has no equivalent of.
ALTER TABLE meeting_invitees ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE meeting_invitees SET position = rowid;
