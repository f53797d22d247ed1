-- The pharmacy's time zone, an IANA name: its pages show times in it.
ALTER TABLE pharmacies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';
-- The patient's upload cookie that sent a document (a random id it carries), so that
-- the patient's page can show the receipt again after a reload.
ALTER TABLE documents ADD COLUMN sender TEXT;
CREATE INDEX documents_by_sender ON documents (code_id, sender);
