-- Remote sales: an order paid through a provider's payment link, the payment event
-- reaching this desktop through the relay (shared/contracts/relay-api.md).
-- See crates/core/src/relay/ and crates/core/src/remote/.

-- The payment link made for a remote order: the provider's id for it (Stripe
-- checkout session, BTCPay invoice) is what a payment event must name.
CREATE TABLE IF NOT EXISTS payment_links (
    order_id    INTEGER PRIMARY KEY REFERENCES orders (id),
    provider    TEXT    NOT NULL CHECK (provider IN ('stripe', 'btcpay')),
    external_id TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (provider, external_id)
);

-- Every event taken from the relay, written in the transaction that advances the
-- cursor below; the unique key recognises an event the relay delivers again.
CREATE TABLE IF NOT EXISTS relay_inbox (
    id           INTEGER PRIMARY KEY,
    cursor       INTEGER NOT NULL,
    provider     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    event_type   TEXT,
    received_at  TEXT,
    payload      TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'new'
                 CHECK (status IN ('new', 'processed', 'held', 'ignored')),
    reason       TEXT,
    order_id     INTEGER REFERENCES orders (id),
    created_at   TEXT    NOT NULL,
    processed_at TEXT,
    UNIQUE (provider, event_id)
);
CREATE INDEX IF NOT EXISTS relay_inbox_new ON relay_inbox (id) WHERE status = 'new';

-- How far this desktop has read the relay, and what the relay was told.
CREATE TABLE IF NOT EXISTS relay_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    cursor     INTEGER NOT NULL,
    acked      INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT    NOT NULL
);

-- An alert about a payment may name an order this till does not know.
ALTER TABLE alerts ADD COLUMN order_ref TEXT;
