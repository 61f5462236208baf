-- The outbox learns a fourth payload, the claim slip (printed and emailed when a sale
-- is taken as a claim). SQLite cannot change a CHECK in place, and a migration runs
-- inside a transaction with foreign keys on, so the table is rebuilt around its one
-- child: delivery_log is set aside first (dropping a child breaks no reference), the
-- outbox is rebuilt with the same rows and ids, and delivery_log comes back, each of
-- its rows checked against the rebuilt outbox as it is written.

CREATE TABLE delivery_log_kept AS SELECT * FROM delivery_log;
DROP TABLE delivery_log;

CREATE TABLE outbox_rebuilt (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('email', 'print')),
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    -- An email address, or a printer (tcp://host:9100, file:/dev/usb/lp0, pdf:/folder).
    destination     TEXT    NOT NULL,
    -- The payload reference: which document to render from the order at send time.
    payload         TEXT    NOT NULL CHECK (payload IN ('receipt', 'resend', 'reprint', 'claim')),
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
INSERT INTO outbox_rebuilt (id, kind, order_id, destination, payload, reprint_no, language,
        status, attempts, next_attempt_at, last_error, claimed_by, claimed_until,
        requested_by, created_at, sent_at, updated_at)
    SELECT id, kind, order_id, destination, payload, reprint_no, language,
           status, attempts, next_attempt_at, last_error, claimed_by, claimed_until,
           requested_by, created_at, sent_at, updated_at
      FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS outbox_order ON outbox (order_id);

-- As 0003 made it.
CREATE TABLE delivery_log (
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
INSERT INTO delivery_log (id, outbox_id, order_id, kind, destination, attempt, at, outcome,
        reply, message_id, duration_ms)
    SELECT id, outbox_id, order_id, kind, destination, attempt, at, outcome,
           reply, message_id, duration_ms
      FROM delivery_log_kept;
DROP TABLE delivery_log_kept;
CREATE INDEX IF NOT EXISTS delivery_log_order ON delivery_log (order_id);
