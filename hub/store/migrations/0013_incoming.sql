-- The office roads (ARCHITECTURE.md "The office roads"), first the incoming one (收文):
-- records move by moves; each step that waits for someone is a row (road_steps); every move
-- is a row of road_history; deadlines are timers of the one schedule.

-- A received document in its unit's 收文登记簿.
CREATE TABLE incoming (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),     -- the receiving unit (its register)
    year          INTEGER NOT NULL,
    seq           INTEGER NOT NULL,                          -- 收文编号 = year-seq, e.g. 2026-0001
    delivery_id   INTEGER UNIQUE REFERENCES deliveries(id),  -- NULL: registered by hand
    source        TEXT NOT NULL,               -- network | paper | forwarded
    from_unit     TEXT NOT NULL,               -- 来文单位
    from_number   TEXT NOT NULL DEFAULT '',    -- 来文字号
    title         TEXT NOT NULL,
    doc_kind      TEXT NOT NULL DEFAULT '',    -- 文种
    urgency       TEXT NOT NULL,               -- extra_urgent | urgent | ordinary
    copies        INTEGER NOT NULL DEFAULT 1,  -- 份数
    pages         INTEGER NOT NULL DEFAULT 1,  -- 页数
    received_on   TEXT NOT NULL,               -- 收文日期 (YYYY-MM-DD, local)
    deadline      TEXT NOT NULL,               -- 办理期限 (UTC instant)
    reply_wanted  INTEGER NOT NULL DEFAULT 0,  -- the sender asked for an answer (答复)
    state         TEXT NOT NULL,               -- see hub/domain/incoming.py
    handling      TEXT NOT NULL DEFAULT '',    -- '' | read (阅知) | act (批办): the proposal's kind
    lead_unit_id  INTEGER REFERENCES units(id),              -- 主办
    result        TEXT NOT NULL DEFAULT '',    -- 办理结果
    reply_item_id INTEGER REFERENCES items(id),              -- the answer sent back (答复)
    supervised    INTEGER NOT NULL DEFAULT 0,  -- under 督办
    registered_by INTEGER NOT NULL REFERENCES users(id),
    registered_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    closed_at     TEXT,
    UNIQUE (unit_id, year, seq)
);
CREATE INDEX incoming_unit_state ON incoming(unit_id, state, id);
CREATE INDEX incoming_received ON incoming(unit_id, received_on);

-- Scans of documents registered by hand (paper, or forwarded from above).
CREATE TABLE incoming_attachments (
    id           INTEGER PRIMARY KEY,
    incoming_id  INTEGER NOT NULL REFERENCES incoming(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX incoming_attachments_of ON incoming_attachments(incoming_id);

-- The last number given per unit, register and year: gapless because it is taken in the
-- transaction that uses it.
CREATE TABLE register_numbers (
    unit_id  INTEGER NOT NULL REFERENCES units(id),
    book     TEXT NOT NULL,                    -- incoming
    year     INTEGER NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (unit_id, book, year)
);

-- Per-unit settings of the roads.
CREATE TABLE unit_settings (
    unit_id       INTEGER PRIMARY KEY REFERENCES units(id),
    auto_register INTEGER NOT NULL DEFAULT 0   -- register a network document at sign-for
);

-- Circulations (传阅): a list of people, in parallel or in order, with a note saying why.
CREATE TABLE circulations (
    id          INTEGER PRIMARY KEY,
    road        TEXT NOT NULL,                 -- incoming
    record_id   INTEGER NOT NULL,
    sender_id   INTEGER NOT NULL REFERENCES users(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),       -- the sender's unit
    ordered     INTEGER NOT NULL DEFAULT 0,    -- 1: one reader after another
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX circulations_record ON circulations(road, record_id);

-- Open steps are rows: who must act (a person, or a role in a unit), on what, by when.
CREATE TABLE road_steps (
    id            INTEGER PRIMARY KEY,
    road          TEXT NOT NULL,               -- incoming
    record_id     INTEGER NOT NULL,
    kind          TEXT NOT NULL,               -- review | propose | instruct | assign | handle | assist | read | close | progress
    unit_id       INTEGER NOT NULL REFERENCES units(id),     -- the unit whose people act
    role          TEXT,                        -- a role of that unit (NULL: the person below)
    user_id       INTEGER REFERENCES users(id),
    circulation_id INTEGER REFERENCES circulations(id),
    position      INTEGER NOT NULL DEFAULT 0,  -- order within a circulation
    state         TEXT NOT NULL DEFAULT 'open',  -- waiting (ordered circulation, not yet its turn) | open | done | cancelled
    opened_at     TEXT NOT NULL,
    due_at        TEXT,
    done_at       TEXT,
    done_by       INTEGER REFERENCES users(id),
    done_for      INTEGER REFERENCES users(id),  -- on whose behalf
    note          TEXT NOT NULL DEFAULT '',    -- the reader's comment, the assisting unit's opinion
    chases        INTEGER NOT NULL DEFAULT 0,
    chased_at     TEXT,
    UNIQUE (circulation_id, user_id)
);
CREATE INDEX road_steps_user ON road_steps(user_id, state) WHERE user_id IS NOT NULL;
CREATE INDEX road_steps_unit ON road_steps(unit_id, state, role);
CREATE INDEX road_steps_record ON road_steps(road, record_id, state);

-- One history: every move, who, when, on whose behalf, why.
CREATE TABLE road_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    road        TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    at          TEXT NOT NULL,
    move        TEXT NOT NULL,
    from_state  TEXT NOT NULL DEFAULT '',
    to_state    TEXT NOT NULL DEFAULT '',
    actor_id    INTEGER REFERENCES users(id),  -- NULL: the scheduler
    actor_name  TEXT NOT NULL DEFAULT '',
    for_id      INTEGER REFERENCES users(id),  -- on whose behalf
    step_id     INTEGER REFERENCES road_steps(id),
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX road_history_record ON road_history(road, record_id, id);
CREATE INDEX road_history_actor ON road_history(actor_id, id);

-- Supervision (督办): the lead reports progress at set intervals.
CREATE TABLE supervisions (
    id            INTEGER PRIMARY KEY,
    road          TEXT NOT NULL,
    record_id     INTEGER NOT NULL,
    by_id         INTEGER NOT NULL REFERENCES users(id),
    every_days    INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    next_report   TEXT NOT NULL,
    last_report_at TEXT,
    last_report   TEXT NOT NULL DEFAULT '',
    ended_at      TEXT,
    UNIQUE (road, record_id)
);

-- Road timers ride the one schedule: `timers` gains road_step_id (a timer is for a delivery or
-- for a road step), and `outbox` rows may come from a road move (history_id) rather than an
-- item's event. Both tables are leaves (nothing references them): rebuilt in place.
CREATE TABLE timers_new (
    id           INTEGER PRIMARY KEY,
    due_at       TEXT NOT NULL,
    kind         TEXT NOT NULL,                -- step | meeting_reminder | road_remind | road_leader | road_office | supervision
    delivery_id  INTEGER REFERENCES deliveries(id),
    step         INTEGER NOT NULL,
    road_step_id INTEGER REFERENCES road_steps(id),
    UNIQUE (delivery_id, kind, step),
    UNIQUE (road_step_id, kind, step),
    CHECK ((delivery_id IS NULL) <> (road_step_id IS NULL))
);
INSERT INTO timers_new (id, due_at, kind, delivery_id, step) SELECT id, due_at, kind, delivery_id, step FROM timers;
DROP TABLE timers;
ALTER TABLE timers_new RENAME TO timers;
CREATE INDEX timers_due ON timers(due_at);

-- Which road timers ran (the primary key refuses a second run), as steps_run for deliveries.
CREATE TABLE road_timers_run (
    road_step_id INTEGER NOT NULL REFERENCES road_steps(id),
    kind         TEXT NOT NULL,
    step         INTEGER NOT NULL,
    ran_at       TEXT NOT NULL,
    applied      INTEGER NOT NULL,
    PRIMARY KEY (road_step_id, kind, step)
);

CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    event_id    INTEGER REFERENCES events(id),
    delivery_id INTEGER REFERENCES deliveries(id),
    user_id     INTEGER REFERENCES users(id),
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued',
    provider_id TEXT,
    sent_at     TEXT,
    error       TEXT NOT NULL DEFAULT '',
    message_id  INTEGER REFERENCES sms_messages(id),
    not_before  TEXT,
    history_id  INTEGER REFERENCES road_history(id),
    UNIQUE (event_id, user_id, channel),
    UNIQUE (history_id, user_id, channel),
    CHECK ((event_id IS NULL) <> (history_id IS NULL))
);
INSERT INTO outbox_new (id, created_at, channel, event_id, delivery_id, user_id, phone, body, state, provider_id,
                        sent_at, error, message_id, not_before)
    SELECT id, created_at, channel, event_id, delivery_id, user_id, phone, body, state, provider_id,
           sent_at, error, message_id, not_before FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_queued ON outbox(id) WHERE state = 'queued';
CREATE INDEX outbox_delivery ON outbox(delivery_id);
CREATE INDEX outbox_history ON outbox(history_id) WHERE history_id IS NOT NULL;

-- Resend (退文 after sign-for, and the sender's correction and re-send; hub/services/resend.py):
-- a delivery has rounds. The first sending is round 1; a delivery returned (before or after its
-- first review) and corrected by its sender goes out again as the next round, with a response
-- window and escalation ladder of its own (`ladder`, the round's snapshot; NULL: the item's).
-- What each earlier round was - sent, signed for with its receipt, returned with the reason, and
-- what the sender corrected - stays in delivery_rounds; its ladder steps stay in steps_run under
-- their round (rebuilt in place with `round` in its key: a leaf, nothing references it).
ALTER TABLE deliveries ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE deliveries ADD COLUMN ladder TEXT;

CREATE TABLE delivery_rounds (
    delivery_id   INTEGER NOT NULL REFERENCES deliveries(id),
    round         INTEGER NOT NULL,
    sent_at       TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    read_at       TEXT,
    acked_at      TEXT,
    acked_by      INTEGER REFERENCES users(id),
    ack_via       TEXT,
    receipt_no    TEXT,
    returned_at   TEXT,
    return_reason TEXT NOT NULL DEFAULT '',
    level         INTEGER NOT NULL DEFAULT 0,
    chases        INTEGER NOT NULL DEFAULT 0,
    resent_at     TEXT NOT NULL,             -- when the sender sent the next round
    resent_by     INTEGER NOT NULL REFERENCES users(id),
    resend_note   TEXT NOT NULL,             -- what the sender corrected
    PRIMARY KEY (delivery_id, round)
);

CREATE TABLE steps_run_new (
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    kind        TEXT NOT NULL,
    step        INTEGER NOT NULL,
    round       INTEGER NOT NULL DEFAULT 1,
    ran_at      TEXT NOT NULL,
    applied     INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, kind, step, round)
);
INSERT INTO steps_run_new (delivery_id, kind, step, ran_at, applied)
    SELECT delivery_id, kind, step, ran_at, applied FROM steps_run;
DROP TABLE steps_run;
ALTER TABLE steps_run_new RENAME TO steps_run;
-- A file the sender added on re-sending (a missing attachment, a corrected one) is for that one
-- delivery and round, not the item's other recipients; `replaces_id`: the item's file it stands
-- in for, which that unit no longer sees.
ALTER TABLE attachments ADD COLUMN delivery_id INTEGER REFERENCES deliveries(id);
ALTER TABLE attachments ADD COLUMN round INTEGER;
ALTER TABLE attachments ADD COLUMN replaces_id INTEGER REFERENCES attachments(id);
CREATE INDEX attachments_delivery ON attachments(delivery_id) WHERE delivery_id IS NOT NULL;

-- The to-do list (待办, hub/services/todo.py): 已办 / 已阅 are the steps a person did, the latest
-- first, and their counts on the tabs; 待登记 are the documents a unit signed for as a main
-- recipient that are not in its 收文登记簿 yet (the last 30 days): both read through an index.
CREATE INDEX road_steps_done_by ON road_steps(done_by, done_at) WHERE done_by IS NOT NULL;
CREATE INDEX deliveries_signed_main ON deliveries(unit_id, acked_at) WHERE state = 'acked' AND role = 'main';

-- The registers (收文登记簿, hub/services/registers.py): a page counts its matches and offers the lead
-- units the year names; both read this index alone, whatever the urgency and state filters.
CREATE INDEX incoming_register ON incoming(unit_id, year, urgency, state, lead_unit_id);

-- Circulation (传阅, hub/services/circulation.py): the circulations a person sent, the latest first.
CREATE INDEX circulations_sender ON circulations(sender_id, id);
