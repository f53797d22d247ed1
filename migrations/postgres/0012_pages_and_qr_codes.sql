-- A PDF the server put together from a patient's photos, one page each: how many.
ALTER TABLE documents ADD COLUMN page_count INTEGER;
-- The texts of the QR codes found in a document (an e-prescription's number), sealed.
ALTER TABLE documents ADD COLUMN qr_codes_ciphertext BYTEA;
