-- File names as searched: lower-cased and without accents, computed by the server when
-- a document arrives, so that "emilie" and "Émilie" find "Émilie.pdf" alike on SQLite
-- and PostgreSQL. Documents received before this are filled in at start-up.
ALTER TABLE documents ADD COLUMN search_name TEXT;
