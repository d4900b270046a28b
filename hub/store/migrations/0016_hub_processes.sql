-- The hub processes sharing one database (issue 16): each registers at start and heartbeats; one not
-- seen for `[cluster] dead_after_seconds` is dead, and a live one takes over its SMS in flight.
CREATE TABLE hub_processes (
    id           INTEGER PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    seen_at      TEXT NOT NULL,          -- its latest heartbeat, on its own clock
    stopped_at   TEXT,                   -- it stopped cleanly: nothing of its is in flight
    taken_over_by INTEGER REFERENCES hub_processes(id)   -- a live process took over its work
);
CREATE INDEX hub_processes_seen ON hub_processes(seen_at) WHERE stopped_at IS NULL AND taken_over_by IS NULL;

-- the process whose gateway call a message 'sending' waits for; only it, or one that found it dead, looks
-- the message up at the gateway and sends it again
ALTER TABLE sms_messages ADD COLUMN owner_id INTEGER REFERENCES hub_processes(id);
CREATE INDEX sms_messages_owner ON sms_messages(owner_id) WHERE state = 'sending' AND sid IS NULL;
