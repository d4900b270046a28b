-- Urgent items, per-unit deliveries, the event log, the SMS outbox and the escalation schedule.

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,      -- document | meeting_notice | urgent_petition | emergency_order
    urgency         TEXT NOT NULL,      -- extra_urgent (特急) | urgent (加急) | ordinary
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    doc_number      TEXT NOT NULL DEFAULT '',   -- 发文字号
    doc_kind        TEXT NOT NULL DEFAULT '',   -- 文种
    issuing_office  TEXT NOT NULL DEFAULT '',   -- 发文机关
    doc_date        TEXT NOT NULL DEFAULT '',   -- 成文日期
    meeting_at      TEXT,
    meeting_place   TEXT NOT NULL DEFAULT '',
    sender_unit_id  INTEGER NOT NULL REFERENCES units(id),
    sender_user_id  INTEGER NOT NULL REFERENCES users(id),
    issued_at       TEXT NOT NULL,
    due_at          TEXT NOT NULL,              -- end of the response window
    working_time    INTEGER NOT NULL,           -- 1: the window counts working time
    ladder          TEXT NOT NULL,              -- JSON snapshot of the escalation ladder in force
    short_code      TEXT NOT NULL,              -- 4 digits, for SMS replies
    withdrawn_at    TEXT
);
CREATE INDEX items_sender ON items(sender_unit_id, id);
CREATE INDEX items_short_code ON items(short_code);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX attachments_item ON attachments(item_id);

CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    role          TEXT NOT NULL,                -- main (主送) | copy (抄送)
    state         TEXT NOT NULL,                -- pending | read | acked | returned | withdrawn
    sent_at       TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    assignee_id   INTEGER REFERENCES users(id), -- the clerk to call first
    read_at       TEXT,
    read_by       INTEGER REFERENCES users(id),
    acked_at      TEXT,
    acked_by      INTEGER REFERENCES users(id),
    ack_via       TEXT,                         -- web | sms | chat | duty_desk
    ack_note      TEXT NOT NULL DEFAULT '',     -- the duty desk's reason, when it signed on behalf
    receipt_no    TEXT,
    returned_at   TEXT,
    return_reason TEXT NOT NULL DEFAULT '',
    level         INTEGER NOT NULL DEFAULT 0,   -- ladder steps already run
    escalated_at  TEXT,                         -- when it reached the duty desk
    UNIQUE (item_id, unit_id)
);
CREATE INDEX deliveries_unit ON deliveries(unit_id, id);
CREATE INDEX deliveries_item ON deliveries(item_id);
CREATE INDEX deliveries_escalated ON deliveries(escalated_at) WHERE escalated_at IS NOT NULL;

CREATE TABLE attendance (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attendance_delivery ON attendance(delivery_id);

-- Every state change, with an id that only grows: the timeline and the realtime feed.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    type           TEXT NOT NULL,
    item_id        INTEGER NOT NULL REFERENCES items(id),
    delivery_id    INTEGER REFERENCES deliveries(id),
    sender_unit_id INTEGER NOT NULL,
    unit_id        INTEGER,                      -- the recipient unit concerned, if any
    actor_id       INTEGER,
    data           TEXT NOT NULL
);
CREATE INDEX events_delivery ON events(delivery_id, id);
CREATE INDEX events_item ON events(item_id, id);

-- Messages to send, committed with the change that causes them.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL,                   -- sms
    event_id    INTEGER NOT NULL REFERENCES events(id),
    delivery_id INTEGER REFERENCES deliveries(id),
    user_id     INTEGER REFERENCES users(id),
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued',  -- queued | sending | sent | delivered | undelivered | failed
    provider_id TEXT,
    sent_at     TEXT,
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, user_id, channel)
);
CREATE INDEX outbox_queued ON outbox(id) WHERE state = 'queued';
CREATE INDEX outbox_delivery ON outbox(delivery_id);

-- The durable schedule: one row per step still to run; the scheduler reads the earliest.
CREATE TABLE timers (
    id          INTEGER PRIMARY KEY,
    due_at      TEXT NOT NULL,
    kind        TEXT NOT NULL,                   -- step | meeting_reminder
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    step        INTEGER NOT NULL,
    UNIQUE (delivery_id, kind, step)
);
CREATE INDEX timers_due ON timers(due_at);

-- Which ladder steps ran: recorded in the same transaction as the step's effects.
CREATE TABLE steps_run (
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    kind        TEXT NOT NULL,
    step        INTEGER NOT NULL,
    ran_at      TEXT NOT NULL,
    applied     INTEGER NOT NULL,                -- 0: skipped (condition no longer held)
    PRIMARY KEY (delivery_id, kind, step)
);
