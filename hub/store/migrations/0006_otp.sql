-- One-time passwords (动态口令) of leaders and seal keepers: RFC 6238 TOTP with replay protection.

CREATE TABLE otp_enrolments (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    state        TEXT NOT NULL,                -- pending (code not yet confirmed) | active
    secret_enc   BLOB NOT NULL,                -- AES-GCM under a key kept outside the database
    last_step    INTEGER NOT NULL DEFAULT 0,   -- highest time step accepted; codes at or below it are refused
    created_at   TEXT NOT NULL,
    activated_at TEXT
);

CREATE TABLE otp_recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,                   -- keyed HMAC; the code itself is shown once and never stored
    used_at   TEXT,
    UNIQUE (user_id, code_hash)
);

CREATE TABLE otp_failures (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    at      TEXT NOT NULL
);
CREATE INDEX otp_failures_user ON otp_failures(user_id, at);
