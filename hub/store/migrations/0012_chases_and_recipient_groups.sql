-- A sender's manual chases (催办: "提醒未签收单位") counted per delivery, for the statistics; and
-- each sender's saved recipient groups (常用收件单位组) for the issue form.

ALTER TABLE deliveries ADD COLUMN chases INTEGER NOT NULL DEFAULT 0;   -- manual reminders by the sender
ALTER TABLE deliveries ADD COLUMN chased_at TEXT;                       -- the last one

CREATE TABLE recipient_groups (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    unit_ids    TEXT NOT NULL,          -- JSON list of unit ids, in the order chosen
    created_at  TEXT NOT NULL,
    UNIQUE (owner_id, name)
);
