-- Every limited action (a login attempt, a code look-up, a registration...) takes a hit
-- here before it is admitted, and is refused when its key already has too many in the
-- window; a hit that turns out not to count (a right password) is deleted. Shared by
-- every server instance. Keys are keyed hashes: no address or email is stored.
CREATE TABLE rate_limit_hits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX rate_limit_hits_by_key ON rate_limit_hits (scope, key_hash, at);
CREATE INDEX rate_limit_hits_by_time ON rate_limit_hits (at);

-- Replaced by rate_limit_hits (scopes 'login-password' and 'login-address').
DROP TABLE login_failures;
