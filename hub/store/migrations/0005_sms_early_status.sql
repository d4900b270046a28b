-- A status callback can arrive before the sender has stored the message's SID (the gateway
-- answered the API call and called back at once): it waits here until the SID is known.
CREATE TABLE sms_early_status (
    id          INTEGER PRIMARY KEY,
    sid         TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  INTEGER,
    received_at TEXT NOT NULL
);
CREATE INDEX sms_early_status_sid ON sms_early_status(sid, id);
