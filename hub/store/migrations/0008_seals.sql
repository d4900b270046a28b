-- Electronic seals (电子印章): the seal authority, seals and their life, seal-use requests and the
-- usage register (使用登记). Private keys are stored only as encrypted PKCS#8 PEM.

CREATE TABLE seal_authority (
    id          INTEGER PRIMARY KEY CHECK (id = 1),     -- one authority
    name        TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    cert_pem    BLOB NOT NULL,
    key_enc     BLOB NOT NULL,                          -- encrypted with the stretched passphrase
    key_kdf     TEXT NOT NULL,                          -- Argon2id parameters and salt (JSON)
    crl_number  INTEGER NOT NULL,
    crl_der     BLOB NOT NULL,                          -- the latest revocation list
    crl_next_update TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE seals (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    kind           TEXT NOT NULL,                       -- official | internal | business | personal
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,                       -- made | active | suspended | replaced | revoked | destroyed
    algorithm      TEXT NOT NULL,
    serial         TEXT NOT NULL UNIQUE,                -- the certificate's serial number, hex
    cert_pem       BLOB NOT NULL,
    not_before     TEXT NOT NULL,
    not_after      TEXT NOT NULL,
    key_enc        BLOB,                                -- NULL once destroyed
    key_wrap       TEXT NOT NULL,                       -- authority (until the keeper sets a password) | keeper | wiped
    key_kdf        TEXT,                                -- Argon2id parameters of the keeper's password (JSON)
    replaces_id    INTEGER REFERENCES seals(id),
    replaced_by_id INTEGER REFERENCES seals(id),
    revoked_at     TEXT,                                -- on the revocation list from then
    crl_reason     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX seals_unit ON seals(unit_id, id);
CREATE INDEX seals_revoked ON seals(revoked_at) WHERE revoked_at IS NOT NULL;

-- Every change of a seal's life: who, when, why. Never changed afterwards.
CREATE TABLE seal_history (
    id          INTEGER PRIMARY KEY,
    seal_id     INTEGER NOT NULL REFERENCES seals(id),
    at          TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_login TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    event       TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX seal_history_seal ON seal_history(seal_id, id);

CREATE TABLE seal_use_requests (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents(id),
    seal_id        INTEGER NOT NULL REFERENCES seals(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    state          TEXT NOT NULL,                       -- pending | approved | used
    requested_by   INTEGER NOT NULL REFERENCES users(id),
    requester_name TEXT NOT NULL,
    requested_at   TEXT NOT NULL,
    approved_by    INTEGER REFERENCES users(id),
    approver_name  TEXT NOT NULL DEFAULT '',
    approved_at    TEXT
);
CREATE INDEX seal_use_requests_doc ON seal_use_requests(document_id, id);
CREATE INDEX seal_use_requests_unit ON seal_use_requests(unit_id, state, id);

-- The usage register (使用登记): one row per stamping, with the detached signature. Append-only.
CREATE TABLE seal_stampings (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL UNIQUE REFERENCES seal_use_requests(id),
    seal_id       INTEGER NOT NULL REFERENCES seals(id),
    document_id   INTEGER NOT NULL REFERENCES documents(id),
    keeper_id     INTEGER REFERENCES users(id),
    keeper_name   TEXT NOT NULL,
    approver_id   INTEGER REFERENCES users(id),
    approver_name TEXT NOT NULL,
    at            TEXT NOT NULL,
    digest        TEXT NOT NULL,                        -- the document's canonical content digest
    signature     BLOB NOT NULL                         -- detached CMS (.p7s, DER)
);
CREATE INDEX seal_stampings_doc ON seal_stampings(document_id, id);
CREATE INDEX seal_stampings_seal ON seal_stampings(seal_id, id);

CREATE TRIGGER seal_stampings_no_update BEFORE UPDATE ON seal_stampings
BEGIN SELECT RAISE(ABORT, 'the usage register is append-only'); END;
CREATE TRIGGER seal_stampings_no_delete BEFORE DELETE ON seal_stampings
BEGIN SELECT RAISE(ABORT, 'the usage register is append-only'); END;
CREATE TRIGGER seal_history_no_update BEFORE UPDATE ON seal_history
BEGIN SELECT RAISE(ABORT, 'seal history is append-only'); END;
CREATE TRIGGER seal_history_no_delete BEFORE DELETE ON seal_history
BEGIN SELECT RAISE(ABORT, 'seal history is append-only'); END;

-- Wrong seal passwords, counted per seal over a window.
CREATE TABLE seal_password_failures (
    id       INTEGER PRIMARY KEY,
    seal_id  INTEGER NOT NULL REFERENCES seals(id),
    actor_id INTEGER REFERENCES users(id),
    at       TEXT NOT NULL
);
CREATE INDEX seal_password_failures_seal ON seal_password_failures(seal_id, at);
