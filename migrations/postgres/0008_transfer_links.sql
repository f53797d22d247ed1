-- The QR code's link carries a long random-looking token instead of the short code, so
-- that opening it costs nothing of the guessing budget. Only a keyed hash of it is
-- stored; codes created before this have theirs filled in at start-up.
ALTER TABLE transfer_codes ADD COLUMN link_hash TEXT;
CREATE UNIQUE INDEX transfer_codes_by_link ON transfer_codes (link_hash);
