-- Full-text search (公文检索): what is searchable, who may see it, and its index. The index is
-- derived data: `xietong search reindex` rebuilds it from the documents themselves (and `xietong
-- store copy` leaves it to be rebuilt). Hence no foreign keys: they would only slow it down.

CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,              -- item (received and sent items and documents)
    source_id   INTEGER NOT NULL,
    title       TEXT NOT NULL,
    number      TEXT NOT NULL DEFAULT '',   -- 文号
    sender      TEXT NOT NULL DEFAULT '',   -- the sending unit
    sender_unit_id INTEGER,
    body        TEXT NOT NULL DEFAULT '',   -- with its attachments' text: for snippets and re-indexing
    kind        TEXT NOT NULL DEFAULT '',
    doc_kind    TEXT NOT NULL DEFAULT '',
    urgency     TEXT NOT NULL DEFAULT '',
    year        INTEGER NOT NULL,           -- Beijing year of its date
    at          TEXT NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX search_docs_year ON search_docs(year, id);

CREATE TABLE search_access (                -- the units that may see it (sender and recipients)
    unit_id INTEGER NOT NULL,
    doc_id  INTEGER NOT NULL,
    PRIMARY KEY (unit_id, doc_id)
);
CREATE INDEX search_access_doc ON search_access(doc_id);

-- the token streams of hub/domain/search.tokens (contentless: the text is in search_docs), and the
-- tokens of the units that may see each (hub/domain/search.unit_token): FTS5 intersects them with
-- the query's terms itself
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, units, content='', tokenize='unicode61 remove_diacritics 0');
-- each token's document frequency, read by hub/store/search.py to tell a word found nearly everywhere
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row');
