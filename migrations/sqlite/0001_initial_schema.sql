-- The domain's first schema. Kept at the same version as migrations/postgres.
-- Times are Unix seconds; flags are 0 or 1; ids that can reach a URL are random text.

CREATE TABLE pharmacies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT,
    retention_days INTEGER NOT NULL CHECK (retention_days > 0),
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'pharmacist')),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_by_pharmacy ON users (pharmacy_id);

-- Only a hash of the session token is stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip TEXT,
    user_agent TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Codes are looked up by a keyed hash; the displayable code and the pharmacist's
-- note are kept encrypted.
CREATE TABLE transfer_codes (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    lookup_hash TEXT NOT NULL UNIQUE,
    code_ciphertext BLOB NOT NULL,
    note_ciphertext BLOB,
    max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
    current_uses INTEGER NOT NULL DEFAULT 0 CHECK (current_uses >= 0 AND current_uses <= max_uses),
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX transfer_codes_by_pharmacy ON transfer_codes (pharmacy_id, expires_at);

-- Document metadata; the ciphertext lives in the blob store, its data key is stored
-- here wrapped by the master key named by key_id.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    code_id TEXT REFERENCES transfer_codes (id) ON DELETE SET NULL,
    original_filename TEXT NOT NULL,
    file_type TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    file_size INTEGER NOT NULL CHECK (file_size >= 0),
    sha256 TEXT NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL,
    viewed_at INTEGER,
    viewed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    deletion_date INTEGER NOT NULL
);
CREATE INDEX documents_by_pharmacy ON documents (pharmacy_id, uploaded_at);
CREATE INDEX documents_by_deletion_date ON documents (deletion_date);

-- Append-only: no foreign keys, so history outlives what it names.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    pharmacy_id TEXT,
    user_id TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT
);
CREATE INDEX audit_events_by_pharmacy ON audit_events (pharmacy_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
