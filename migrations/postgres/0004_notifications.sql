-- Arrival notifications: where the pharmacy wants them (none when NULL), up to which
-- time (Unix seconds) its documents have been counted in one, and when the last was sent.
ALTER TABLE pharmacies ADD COLUMN notification_email TEXT;
ALTER TABLE pharmacies ADD COLUMN notified_through BIGINT;
ALTER TABLE pharmacies ADD COLUMN last_notified_at BIGINT;
