-- Buyers (crates/core/src/buyers.rs): an optional record of who bought, attached at
-- the counter by a phone number or an email address, so that the shop finds a
-- buyer's past orders. Contact data is purged after the owner's retention period;
-- the orders stay, without it.
CREATE TABLE IF NOT EXISTS buyers (
    id           INTEGER PRIMARY KEY,
    name         TEXT,
    -- E.164-ish: an optional + and 7 to 15 digits.
    phone        TEXT UNIQUE,
    email        TEXT UNIQUE COLLATE NOCASE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    -- Set when the contact data was purged (name, phone and email are then NULL).
    purged_at    TEXT
);

ALTER TABLE orders ADD COLUMN buyer_id INTEGER REFERENCES buyers (id);
CREATE INDEX IF NOT EXISTS orders_by_buyer ON orders (buyer_id) WHERE buyer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_by_email ON orders (email COLLATE NOCASE) WHERE email IS NOT NULL;
