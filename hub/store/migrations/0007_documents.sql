-- Outgoing documents (发文): drafts through sign-off, registration, sealing and dispatch.

ALTER TABLE units ADD COLUMN doc_code TEXT NOT NULL DEFAULT '';    -- 机关代字, e.g. 示政办发
ALTER TABLE items ADD COLUMN signer TEXT NOT NULL DEFAULT '';      -- 签发人, shown on upward documents

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    drafter_id     INTEGER NOT NULL REFERENCES users(id),
    state          TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    doc_kind       TEXT NOT NULL,
    urgency        TEXT NOT NULL,
    issuing_office TEXT NOT NULL,
    main_units     TEXT NOT NULL,              -- JSON list of unit ids
    copy_units     TEXT NOT NULL,
    signed_digest  TEXT,                       -- the content the leader signed (sha256)
    signed_by      INTEGER REFERENCES users(id),
    signer_name    TEXT NOT NULL DEFAULT '',
    signed_at      TEXT,
    doc_code       TEXT NOT NULL DEFAULT '',
    doc_year       INTEGER,
    doc_seq        INTEGER,
    doc_number     TEXT,
    sealed_by      INTEGER REFERENCES users(id),
    sealed_at      TEXT,
    item_id        INTEGER REFERENCES items(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX documents_unit_state ON documents(unit_id, state, id);
CREATE UNIQUE INDEX documents_number ON documents(doc_code, doc_year, doc_seq) WHERE doc_seq IS NOT NULL;

CREATE TABLE document_attachments (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX document_attachments_doc ON document_attachments(document_id);

CREATE TABLE document_history (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    at          TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    op          TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX document_history_doc ON document_history(document_id, id);

-- The last number given per 机关代字 and year: numbers go in order and are never reused.
CREATE TABLE document_numbers (
    doc_code TEXT NOT NULL,
    year     INTEGER NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (doc_code, year)
);
