-- SMS through a Twilio-compatible API: the messages actually sent (one may be a digest of
-- several outbox rows), inbound replies (once per MessageSid), and opted-out numbers.

CREATE TABLE sms_messages (
    id           INTEGER PRIMARY KEY,
    phone        TEXT NOT NULL,
    body         TEXT NOT NULL,
    segments     INTEGER NOT NULL,
    state        TEXT NOT NULL,          -- sending (committed before the API call) | queued | sent | delivered | undelivered | failed
    sid          TEXT UNIQUE,            -- Twilio's message SID, stored as soon as the API answers
    error_code   INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    attempted_at TEXT,                   -- when the latest API call started
    retry_at     TEXT,                   -- a message still 'sending' without a sid is looked at again then
    status_at    TEXT
);
CREATE INDEX sms_messages_phone ON sms_messages(phone, created_at);
CREATE INDEX sms_messages_pending ON sms_messages(retry_at) WHERE state = 'sending' AND sid IS NULL;

ALTER TABLE outbox ADD COLUMN message_id INTEGER REFERENCES sms_messages(id);
ALTER TABLE outbox ADD COLUMN not_before TEXT;   -- held back to join a digest until then

CREATE TABLE sms_inbound (
    sid          TEXT PRIMARY KEY,       -- MessageSid: a repeated webhook acts once
    phone        TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    reply        TEXT NOT NULL,
    delivery_id  INTEGER REFERENCES deliveries(id)
);

CREATE TABLE sms_optouts (
    phone       TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    error_code  INTEGER NOT NULL
);
