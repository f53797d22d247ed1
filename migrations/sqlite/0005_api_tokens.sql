-- REST API tokens, stored as keyed hashes only. A login starts a family: one access
-- token and one refresh token at a time; refreshing uses the refresh token up and
-- issues a new pair in the same family. Presenting a used refresh token again revokes
-- the whole family.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_by_family ON api_tokens (family_id);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
