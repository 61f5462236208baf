-- Staff who sign in at the till with a PIN, and the tamper-evident audit chain.

-- One row per member of staff. Names are unique whatever their case ("Asha" and
-- "asha" are one person on a receipt). The PIN is kept only as an Argon2id hash
-- (PHC string: algorithm, parameters and salt inside). Wrong PINs count up to a
-- lock-out kept here, so a restart does not reset it.
CREATE TABLE IF NOT EXISTS staff (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'manager', 'cashier')),
    pin_hash     TEXT    NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    failed_pins  INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

-- The PIN pad's own count of wrong PINs typed with no name (PIN-only sign-in):
-- such a PIN belongs to nobody, so the pad, shared by the shop's tills, is what
-- locks.
CREATE TABLE IF NOT EXISTS pin_pad (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    failed_pins  INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
INSERT OR IGNORE INTO pin_pad (id, failed_pins) VALUES (1, 0);

-- Each audit row carries the hash of the row before it (SHA-256 over a canonical
-- encoding of the row and that hash; computed by codetill, SQLite has no SHA-256).
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- The chain's head (the last row sealed, so a row removed from the end shows) and
-- the rows written before the chain existed: those are sealed once, at the first
-- open after this migration, and never again (a row whose hash was cleared later is
-- a break, not something to seal).
CREATE TABLE IF NOT EXISTS audit_chain (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    backfill_upto INTEGER,
    head_id       INTEGER,
    head_hash     TEXT
);
INSERT OR IGNORE INTO audit_chain (id, backfill_upto) SELECT 1, max(id) FROM audit_log;
