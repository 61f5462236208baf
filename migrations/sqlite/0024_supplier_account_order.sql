-- The order accounts were added in, as a number (the first enabled account is the
-- shop's main supplier). It was SQLite's rowid, which PostgreSQL has no twin of;
-- accounts added in the same millisecond still keep their order.
ALTER TABLE supplier_accounts ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
UPDATE supplier_accounts SET added = rowid;
