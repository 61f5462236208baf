-- Delivery: printed receipts and emailed codes. See crates/core/src/delivery/.
--
-- Emails and print jobs go to the outbox in the transaction that delivers the order,
-- so a paid order's code always has its way to the buyer even if the process dies
-- right after. Codes never sit in the outbox: a row says *what* to render, and the
-- code is decrypted from order_codes only at the moment it is sent.

-- What the buyer asked for at the sale, and how often the receipt was printed again.
ALTER TABLE orders ADD COLUMN print_to TEXT;
ALTER TABLE orders ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'hi'));
ALTER TABLE orders ADD COLUMN reprints INTEGER NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('email', 'print')),
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    -- An email address, or a printer (tcp://host:9100, file:/dev/usb/lp0, pdf:/folder).
    destination     TEXT    NOT NULL,
    -- The payload reference: which document to render from the order at send time.
    payload         TEXT    NOT NULL CHECK (payload IN ('receipt', 'resend', 'reprint')),
    reprint_no      INTEGER,
    language        TEXT    NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'hi')),
    status          TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    -- The process sending it now, and until when: two tills never send one row at once.
    claimed_by      TEXT,
    claimed_until   TEXT,
    requested_by    TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS outbox_order ON outbox (order_id);

-- Every attempt and what the other side answered (the SMTP server's reply, the
-- printer's result): the shop's proof in a dispute. Never the code itself.
CREATE TABLE IF NOT EXISTS delivery_log (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    kind        TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
    reply       TEXT,
    message_id  TEXT,
    duration_ms INTEGER
);
CREATE INDEX IF NOT EXISTS delivery_log_order ON delivery_log (order_id);

-- Things a person must look at (a bounced email, a receipt never printed). The app
-- shows them; the alerts module will add rules and notifications.
CREATE TABLE IF NOT EXISTS alerts (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    order_id        INTEGER REFERENCES orders (id),
    message         TEXT    NOT NULL,
    acknowledged_at TEXT
);
CREATE INDEX IF NOT EXISTS alerts_open ON alerts (at) WHERE acknowledged_at IS NULL;
