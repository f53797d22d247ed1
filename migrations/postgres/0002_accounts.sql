-- Accounts: temporary passwords, the second factor, session stages, the login limiter.

ALTER TABLE pharmacies ADD COLUMN require_second_factor BIGINT NOT NULL DEFAULT 0 CHECK (require_second_factor IN (0, 1));

-- A temporary password set by an admin must be changed at first login, before it expires.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
ALTER TABLE users ADD COLUMN password_expires_at BIGINT;
-- TOTP secrets, sealed by the master key (the key id travels inside the blob).
ALTER TABLE users ADD COLUMN totp_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_pending_secret BYTEA;
-- The last accepted time step: a code is accepted once, in a later step only.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- What a session may do: 'second_factor', 'change_password', 'enrol_second_factor' or 'active'.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'active';

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    UNIQUE (user_id, code_hash)
);

-- Failed logins, by account (keyed hash of the email as typed) and by client IP.
CREATE TABLE login_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
    key_hash TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (scope, key_hash, failed_at);
