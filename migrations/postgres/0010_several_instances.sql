-- An upload in progress holds one use of its code until its document is committed (the
-- reservation is deleted in the same transaction) or the reservation expires: then the
-- retention sweep, on whichever instance, gives the use back and aborts the upload
-- (`upload_id`, the bucket's multipart upload). A crash mid-upload so burns nothing.
CREATE TABLE upload_reservations (
    id TEXT PRIMARY KEY,
    code_id TEXT NOT NULL,
    upload_id TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX upload_reservations_by_expiry ON upload_reservations (expires_at);

-- Background jobs run once per period across all instances: the instance that takes a
-- job's lease runs it; another may take it only once the lease has expired.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
