-- 通讯录 entries a unit's administrator keeps (hub/domain/phonebook.py), and the public services
-- page (公共服务) the government office keeps: links inside the network, forms to download, and
-- reference information.

CREATE TABLE phonebook_entries (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    name         TEXT NOT NULL,
    job          TEXT NOT NULL DEFAULT '',      -- 职务
    office_phone TEXT NOT NULL DEFAULT '',
    mobile       TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 100,
    updated_at   TEXT NOT NULL,
    updated_by   INTEGER
);
CREATE INDEX phonebook_entries_unit ON phonebook_entries(unit_id, position, id);

CREATE TABLE public_services (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,                 -- link | form | info
    title        TEXT NOT NULL,
    url          TEXT NOT NULL DEFAULT '',      -- a link's address
    body         TEXT NOT NULL DEFAULT '',      -- reference information, or a note on a link or form
    file_name    TEXT NOT NULL DEFAULT '',      -- a form's file
    content      BLOB,
    position     INTEGER NOT NULL DEFAULT 100,
    updated_at   TEXT NOT NULL,
    updated_by   INTEGER
);
