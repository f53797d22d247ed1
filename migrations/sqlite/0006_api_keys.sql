-- Named keys for integrations, created by an admin and shown once; only a keyed hash
-- is stored. A key acts for its pharmacy, on behalf of the admin who created it,
-- within its scope.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('documents:read', 'codes+documents')),
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_keys_by_pharmacy ON api_keys (pharmacy_id);
