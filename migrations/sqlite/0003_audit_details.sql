-- What an event concerns beyond its object, as short key=value pairs (a document's
-- size and type, the code it came with). Never content, names or codes.
ALTER TABLE audit_events ADD COLUMN details TEXT;
