-- A staff account linked to its holder's Pro Santé Connect identity: their RPPS number,
-- unique, so one professional signs in to one account.
ALTER TABLE users ADD COLUMN rpps TEXT;
CREATE UNIQUE INDEX users_rpps ON users (rpps);
-- The RPPS number an admin invited the account with: a claim, until the professional,
-- signed in with Pro Santé Connect, accepts the invitation (then it becomes `rpps`).
ALTER TABLE users ADD COLUMN invited_rpps TEXT;
CREATE INDEX users_invited_rpps ON users (invited_rpps);
-- How a session was opened: `password`, `second_factor` (a password, then a code in the
-- same login) or `pro_sante_connect`, which is strong authentication in itself.
ALTER TABLE sessions ADD COLUMN proof TEXT NOT NULL DEFAULT 'password';
