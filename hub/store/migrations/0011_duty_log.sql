-- The duty desk's shifts (值班), their handovers (交班 → 接班) and the duty log (值班日志).
-- Everything here is kept: log entries are append-only (a typo is corrected by a new entry
-- that names the one it corrects); a shift is only ever ended once, a handover only ever
-- confirmed or cancelled once.

CREATE TABLE duty_shifts (
    id           INTEGER PRIMARY KEY,
    officer_id   INTEGER NOT NULL REFERENCES users(id),
    started_at   TEXT NOT NULL,
    handover_id  INTEGER REFERENCES duty_handovers(id),   -- NULL: taken while nobody was on shift
    ended_at     TEXT
);
-- one shift in force at a time (NULLs are distinct in a UNIQUE index: index an expression)
CREATE UNIQUE INDEX duty_shifts_one_open ON duty_shifts(coalesce(ended_at, '')) WHERE ended_at IS NULL;

CREATE TABLE duty_handovers (
    id            INTEGER PRIMARY KEY,
    shift_id      INTEGER NOT NULL REFERENCES duty_shifts(id),   -- the shift handed over
    from_id       INTEGER NOT NULL REFERENCES users(id),
    to_id         INTEGER NOT NULL REFERENCES users(id),
    note          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    cancelled_at  TEXT
);
-- one open handover at a time
CREATE UNIQUE INDEX duty_handovers_one_open ON duty_handovers(coalesce(confirmed_at, cancelled_at, ''))
    WHERE confirmed_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE duty_log_entries (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,                          -- UTC, from the clock
    author_id    INTEGER NOT NULL REFERENCES users(id),
    shift_id     INTEGER REFERENCES duty_shifts(id),     -- the shift in force when written
    kind         TEXT NOT NULL,                          -- call | note
    text         TEXT NOT NULL,
    item_id      INTEGER REFERENCES items(id),
    delivery_id  INTEGER REFERENCES deliveries(id),
    unit_id      INTEGER REFERENCES units(id),
    corrects_id  INTEGER REFERENCES duty_log_entries(id)
);
CREATE INDEX duty_log_entries_shift ON duty_log_entries(shift_id, id);

CREATE TRIGGER duty_log_entries_no_update BEFORE UPDATE ON duty_log_entries
BEGIN SELECT RAISE(ABORT, 'duty_log_entries is append-only'); END;
CREATE TRIGGER duty_log_entries_no_delete BEFORE DELETE ON duty_log_entries
BEGIN SELECT RAISE(ABORT, 'duty_log_entries is append-only'); END;
CREATE TRIGGER duty_shifts_no_delete BEFORE DELETE ON duty_shifts
BEGIN SELECT RAISE(ABORT, 'duty_shifts are kept'); END;
CREATE TRIGGER duty_shifts_end_once BEFORE UPDATE ON duty_shifts
WHEN OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.officer_id IS NOT OLD.officer_id
  OR NEW.started_at IS NOT OLD.started_at OR NEW.handover_id IS NOT OLD.handover_id
BEGIN SELECT RAISE(ABORT, 'a shift is kept as it was; it is only ended, once'); END;
CREATE TRIGGER duty_handovers_no_delete BEFORE DELETE ON duty_handovers
BEGIN SELECT RAISE(ABORT, 'duty_handovers are kept'); END;
CREATE TRIGGER duty_handovers_close_once BEFORE UPDATE ON duty_handovers
WHEN OLD.confirmed_at IS NOT NULL OR OLD.cancelled_at IS NOT NULL OR NEW.id IS NOT OLD.id
  OR NEW.shift_id IS NOT OLD.shift_id OR NEW.from_id IS NOT OLD.from_id OR NEW.to_id IS NOT OLD.to_id
  OR NEW.note IS NOT OLD.note OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a handover is kept as written; it is only confirmed or cancelled, once'); END;

-- The duty board: the items with a delivery still open, and today's items, found by index.
CREATE INDEX deliveries_open_item ON deliveries(item_id) WHERE state IN ('pending', 'read');
CREATE INDEX items_issued ON items(issued_at);
