-- The stamped document as a PDF that carries its seal (PAdES), and the seal authority's own
-- time-stamp service (RFC 3161) whose tokens give each stamping its trusted time.

CREATE TABLE seal_tsa (
    id          INTEGER PRIMARY KEY CHECK (id = 1),     -- one service, certified by the authority
    cert_pem    BLOB NOT NULL,
    key_enc     BLOB NOT NULL,                          -- encrypted under the server's at-rest key
    created_at  TEXT NOT NULL
);

ALTER TABLE seal_stampings ADD COLUMN pdf BLOB;     -- the signed PDF (none for stampings before this)
