-- Units, people, roles, sessions, login throttling, and the audit log.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,          -- short code, e.g. BGS; also the archive's 机构代码
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    duty_phone  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,      -- stored lower-case
    name            TEXT NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    password_hash   TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',  -- E.164, +86...
    allowed_ips     TEXT NOT NULL DEFAULT '',  -- space-separated CIDRs; '' = anywhere
    disabled_at     TEXT,
    created_at      TEXT NOT NULL,
    password_set_at TEXT NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles(role, user_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,             -- sha256 of the cookie value; the value is never stored
    user_id      INTEGER NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    ip      TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,                 -- UTC
    actor_id    INTEGER,                       -- NULL for the system / command line
    actor_login TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,                 -- canonical JSON
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log(action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
