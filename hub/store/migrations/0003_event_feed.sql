-- The realtime feed replays events by id within the retention period; find its start by time.
CREATE INDEX events_at ON events(at);

-- Long-lived tokens for bots and tools (Authorization: Bearer); only a hash is kept.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
