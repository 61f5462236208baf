-- Sales and their fulfilment. Each state change is one transaction; see
-- crates/core/src/orders/state.rs for the state machine.

CREATE TABLE IF NOT EXISTS orders (
    id                   INTEGER PRIMARY KEY,
    -- Shown to staff and buyers: ORD-000123.
    public_id            TEXT    NOT NULL UNIQUE,
    -- Our idempotency key at the supplier: created with the order, never changed.
    client_order_id      TEXT    NOT NULL UNIQUE,
    status               TEXT    NOT NULL CHECK (status IN ('quoted', 'paid', 'ordering',
                             'unknown', 'delivered', 'failed', 'refund_due', 'refunded', 'cancelled')),
    channel              TEXT    NOT NULL DEFAULT 'counter' CHECK (channel IN ('counter', 'remote')),
    sku                  TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    region               TEXT    NOT NULL,
    face_minor           INTEGER NOT NULL,
    face_currency        TEXT    NOT NULL,
    redeem_url           TEXT,
    redeem_instructions  TEXT,
    quantity             INTEGER NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 10),
    price_minor          INTEGER NOT NULL CHECK (price_minor >= 0),
    currency             TEXT    NOT NULL,
    -- The most we pay per unit: part of the supplier request body, fixed at quote.
    max_unit_minor       INTEGER NOT NULL CHECK (max_unit_minor >= 0),
    wholesale_currency   TEXT    NOT NULL,
    supplier_order_id    TEXT,
    supplier_status      TEXT,
    supplier_total_minor INTEGER,
    failure_code         TEXT,
    failure_message      TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    -- Who drives the order now, and until when (renewed while it works).
    lease_owner          TEXT,
    lease_expires_at     TEXT,
    email                TEXT,
    staff                TEXT    NOT NULL,
    till_id              TEXT,
    created_at           TEXT    NOT NULL,
    paid_at              TEXT,
    delivered_at         TEXT,
    closed_at            TEXT,
    updated_at           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_status ON orders (status);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at);
CREATE INDEX IF NOT EXISTS orders_delivered ON orders (delivered_at) WHERE delivered_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS payments (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    method         TEXT    NOT NULL CHECK (method IN ('cash', 'card', 'stripe', 'btcpay', 'nowpayments', 'razorpay')),
    amount_minor   INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency       TEXT    NOT NULL,
    tendered_minor INTEGER,
    change_minor   INTEGER,
    reference      TEXT,
    staff          TEXT    NOT NULL,
    taken_at       TEXT    NOT NULL
);

-- Codes, encrypted (XChaCha20-Poly1305; nonce stored with the ciphertext). Written in
-- the same transaction that marks the order delivered.
CREATE TABLE IF NOT EXISTS order_codes (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    seq        INTEGER NOT NULL,
    code_ct    BLOB    NOT NULL,
    pin_ct     BLOB,
    serial     TEXT,
    expires_at TEXT,
    UNIQUE (order_id, seq)
);

-- Every transition, for support and disputes.
CREATE TABLE IF NOT EXISTS order_events (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    at          TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX IF NOT EXISTS order_events_order ON order_events (order_id);

CREATE TABLE IF NOT EXISTS refunds (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    amount_minor INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    reference    TEXT,
    staff        TEXT    NOT NULL,
    at           TEXT    NOT NULL
);

-- Who saw or re-sent a code, and why.
CREATE TABLE IF NOT EXISTS audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    order_id INTEGER REFERENCES orders (id),
    detail   TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_order ON audit_log (order_id);
