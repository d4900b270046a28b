-- The rest of the seed's office modules (issue 15): meetings (会议管理), reports upward (信息报送),
-- the circular (通报) and delegation (代理). Each concept keeps its section; change a section's
-- tables here (this migration is not released yet) rather than adding a migration.

-- == 会议管理 =====================================================================================
-- A meeting: its notice is an urgent item of kind meeting_notice (the recipients' units are the
-- units asked); a change (time, room) bumps `version` and re-sends the notice as a new delivery
-- round, so every unit confirms again.
CREATE TABLE meetings (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL UNIQUE REFERENCES items(id),   -- the notice (会议通知)
    unit_id       INTEGER NOT NULL REFERENCES units(id),          -- the organiser's unit
    organiser_id  INTEGER NOT NULL REFERENCES users(id),
    title         TEXT NOT NULL,
    agenda        TEXT NOT NULL DEFAULT '',                       -- 议程
    room          TEXT NOT NULL,                                  -- 会议室 / 地点
    starts_at     TEXT NOT NULL,                                  -- UTC instant
    ends_at       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'scheduled',              -- scheduled | postponed | cancelled
    version       INTEGER NOT NULL DEFAULT 1,                     -- bumped by each change or postponement
    state_note    TEXT NOT NULL DEFAULT '',                       -- why it was last changed, postponed, cancelled
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX meetings_unit ON meetings(unit_id, starts_at);
CREATE INDEX meetings_starts ON meetings(starts_at);

-- People asked by name (besides their units): a unit's reply may send a substitute for one.
CREATE TABLE meeting_invitees (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_invitees_user ON meeting_invitees(user_id);

-- A unit's attendance reply (参会回执) to the meeting's version it confirmed.
CREATE TABLE meeting_replies (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    version       INTEGER NOT NULL,          -- older than meetings.version: must confirm again
    coming        INTEGER NOT NULL,          -- 1: sends the attendees below; 0: nobody comes
    note          TEXT NOT NULL DEFAULT '',
    replied_at    TEXT NOT NULL,
    replied_by    INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (meeting_id, unit_id)
);

-- Who comes (named by a unit's reply, or added by the organiser) and their sign-in (签到).
CREATE TABLE meeting_attendees (
    id              INTEGER PRIMARY KEY,
    meeting_id      INTEGER NOT NULL REFERENCES meetings(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    user_id         INTEGER REFERENCES users(id),    -- NULL: a person without an account
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',
    substitute_for  INTEGER REFERENCES users(id),    -- the invited person this one comes instead of
    signed_in_at    TEXT,
    signed_in_via   TEXT,                            -- qr | organiser
    signed_in_by    INTEGER REFERENCES users(id),
    walk_in         INTEGER NOT NULL DEFAULT 0       -- 1: signed in by QR without being named (未报名)
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees(meeting_id, unit_id);
CREATE INDEX meeting_attendees_user ON meeting_attendees(user_id);
CREATE UNIQUE INDEX meeting_attendees_person ON meeting_attendees(meeting_id, user_id)
    WHERE user_id IS NOT NULL;

-- == 信息报送 =====================================================================================
-- A report sent up (工作动态, 简报, 请示, 报告, 汇报, 专题文件), with its automatic receipt (回执)
-- given in the transaction that stores it. A 请示 waits for its answer (批复): an open `answer`
-- road step with a deadline; the 批复 is an item sent back through the normal road.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),    -- the sending unit
    to_unit_id      INTEGER NOT NULL REFERENCES units(id),    -- the office it goes up to
    kind            TEXT NOT NULL,       -- work_news | briefing | request | report | account | thematic
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    sender_id       INTEGER NOT NULL REFERENCES users(id),
    sent_at         TEXT NOT NULL,
    receipt_no      TEXT NOT NULL UNIQUE,                     -- 回执编号
    state           TEXT NOT NULL,       -- see hub/domain/reports.py
    answer_due_at   TEXT,                -- 请示: by when the 批复 is due
    answered_at     TEXT,
    answer_item_id  INTEGER REFERENCES items(id),             -- the 批复
    adopted_at      TEXT,                -- 采用
    adopted_by      INTEGER REFERENCES users(id),
    adopted_in      TEXT NOT NULL DEFAULT ''                  -- where, e.g. 《政务信息》第12期
);
CREATE INDEX reports_unit ON reports(unit_id, sent_at);
CREATE INDEX reports_to ON reports(to_unit_id, sent_at);
CREATE INDEX reports_answer_item ON reports(answer_item_id);

CREATE TABLE report_files (
    id            INTEGER PRIMARY KEY,
    report_id     INTEGER NOT NULL REFERENCES reports(id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL
);
CREATE INDEX report_files_report ON report_files(report_id);

-- == 通报 =========================================================================================
-- The office's circular of a period: figures frozen when generated, reviewed, then published as an
-- ordinary document (an item to every unit).
CREATE TABLE circulars (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),  -- the office that keeps and publishes it
    period_from   TEXT NOT NULL,         -- [from, until), UTC instants
    period_until  TEXT NOT NULL,
    title         TEXT NOT NULL,
    intro         TEXT NOT NULL DEFAULT '',      -- the office's words, edited at review
    figures       TEXT NOT NULL,                 -- JSON of the per-unit figures as generated
    state         TEXT NOT NULL,                 -- draft | published
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id),  -- NULL: generated by the monthly run
    published_at  TEXT,
    published_by  INTEGER REFERENCES users(id),
    item_id       INTEGER REFERENCES items(id)   -- the published document
);
CREATE INDEX circulars_period ON circulars(period_from);
-- the monthly run's draft (created_by NULL) exists once per office and period
CREATE UNIQUE INDEX circulars_monthly ON circulars(unit_id, period_from, period_until)
    WHERE created_by IS NULL;

-- One row per successful login (written in the login's transaction): the circular's logins and,
-- with the audited actions of the period, its active users.
CREATE TABLE user_logins (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    at            TEXT NOT NULL
);
CREATE INDEX user_logins_at ON user_logins(at, user_id);
-- the people who acted in a period (active users): audit rows by time
CREATE INDEX audit_log_at ON audit_log(at, actor_id);

-- == 代理 =========================================================================================
-- A person away (principal, 被代理人) and who acts for them (delegate, 代理人) for a period, once
-- approved by the unit admin (the super admin for a unit admin). Approved and past ends_at: ended.
CREATE TABLE delegations (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    principal_id  INTEGER NOT NULL REFERENCES users(id),
    delegate_id   INTEGER NOT NULL REFERENCES users(id),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,                  -- requested | approved | refused | cancelled
    requested_by  INTEGER NOT NULL REFERENCES users(id),
    requested_at  TEXT NOT NULL,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    TEXT,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delegations_principal ON delegations(principal_id, ends_at);
CREATE INDEX delegations_delegate ON delegations(delegate_id, ends_at);
CREATE INDEX delegations_unit ON delegations(unit_id, state);

-- A session working for a principal under a delegation (NULL: as oneself).
ALTER TABLE sessions ADD COLUMN acting_for INTEGER REFERENCES delegations(id);
-- 1: it acted for another until a JSON call or a socket found the period over; its next page says
-- 代理期已结束 (once), then 0.
ALTER TABLE sessions ADD COLUMN acting_ended_notice INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_acting_for ON sessions(acting_for) WHERE acting_for IS NOT NULL;
