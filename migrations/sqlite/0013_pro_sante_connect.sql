-- A staff account linked to its holder's Pro Santé Connect identity: their RPPS number,
-- unique, so one professional signs in to one account.
ALTER TABLE users ADD COLUMN rpps TEXT;
CREATE UNIQUE INDEX users_rpps ON users (rpps);
-- How a session was opened: `password` (then a second factor if set up) or
-- `pro_sante_connect`, which is strong authentication in itself.
ALTER TABLE sessions ADD COLUMN proof TEXT NOT NULL DEFAULT 'password';
