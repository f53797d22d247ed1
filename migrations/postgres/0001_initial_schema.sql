-- The domain's first schema. Kept at the same version as migrations/sqlite.
-- Times are Unix seconds; flags are 0 or 1; ids that can reach a URL are random text.

CREATE TABLE pharmacies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT,
    retention_days BIGINT NOT NULL CHECK (retention_days > 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'pharmacist')),
    is_active BIGINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_by_pharmacy ON users (pharmacy_id);

-- Only a hash of the session token is stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Codes are looked up by a keyed hash; the displayable code and the pharmacist's
-- note are kept encrypted.
CREATE TABLE transfer_codes (
    id TEXT PRIMARY KEY,
    pharmacy_id TEXT NOT NULL REFERENCES pharmacies (id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    lookup_hash TEXT NOT NULL UNIQUE,
    code_ciphertext BYTEA NOT NULL,
    note_ciphertext BYTEA,
    max_uses BIGINT NOT NULL CHECK (max_uses >= 1),
    current_uses BIGINT NOT NULL DEFAULT 0 CHECK (current_uses >= 0 AND current_uses <= max_uses),
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
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
    file_size BIGINT NOT NULL CHECK (file_size >= 0),
    sha256 TEXT NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    uploaded_at BIGINT NOT NULL,
    viewed_at BIGINT,
    viewed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    deletion_date BIGINT NOT NULL
);
CREATE INDEX documents_by_pharmacy ON documents (pharmacy_id, uploaded_at);
CREATE INDEX documents_by_deletion_date ON documents (deletion_date);

-- Append-only: no foreign keys, so history outlives what it names.
CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    pharmacy_id TEXT,
    user_id TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT
);
CREATE INDEX audit_events_by_pharmacy ON audit_events (pharmacy_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
