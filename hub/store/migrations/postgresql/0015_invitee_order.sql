-- PostgreSQL's 0015 (hub/store/pg_schema.py): the column only; a PostgreSQL database never had
-- invitees ordered by a rowid to carry over.
ALTER TABLE meeting_invitees ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
