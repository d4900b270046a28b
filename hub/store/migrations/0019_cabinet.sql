-- 文件柜: each unit's cabinet and each person's private one (hub/domain/cabinet.py). Drawers and
-- folders are nodes (a folder's parent is its drawer); a place files a document in a folder (the
-- same document in two folders: two places, one document); files uploaded into a cabinet are kept
-- here with the text extracted from them (NULL: none could be). deleted_at: in the recycle bin,
-- purged 30 days later (with what it holds: ON DELETE CASCADE).

CREATE TABLE cabinet_nodes (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER REFERENCES units(id),      -- a unit's cabinet
    owner_id    INTEGER REFERENCES users(id),      -- or a person's own
    parent_id   INTEGER REFERENCES cabinet_nodes(id) ON DELETE CASCADE,   -- a folder's drawer; NULL: a drawer
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  INTEGER,
    deleted_at  TEXT,
    deleted_by  INTEGER,
    CHECK ((unit_id IS NULL) <> (owner_id IS NULL))
);
CREATE INDEX cabinet_nodes_unit ON cabinet_nodes(unit_id, parent_id);
CREATE INDEX cabinet_nodes_owner ON cabinet_nodes(owner_id, parent_id);
CREATE INDEX cabinet_nodes_parent ON cabinet_nodes(parent_id);

CREATE TABLE cabinet_files (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER REFERENCES units(id),
    owner_id     INTEGER REFERENCES users(id),
    name         TEXT NOT NULL,                 -- the file's name as uploaded
    title        TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BLOB NOT NULL,
    size         INTEGER NOT NULL,
    text         TEXT,                          -- NULL: text not extracted
    created_at   TEXT NOT NULL,
    created_by   INTEGER,
    CHECK ((unit_id IS NULL) <> (owner_id IS NULL))
);

CREATE TABLE cabinet_places (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES cabinet_nodes(id) ON DELETE CASCADE,
    source      TEXT NOT NULL,                  -- item | incoming | file
    source_id   INTEGER NOT NULL,
    title       TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    filed_by    INTEGER,
    deleted_at  TEXT,
    deleted_by  INTEGER,
    UNIQUE (folder_id, source, source_id)
);
CREATE INDEX cabinet_places_doc ON cabinet_places(source, source_id);

-- a document only its owner may find (a file in a private cabinet): indexed with the private tokens
-- of hub/domain/search.private_tokens instead of units'
ALTER TABLE search_docs ADD COLUMN owner_id INTEGER;
