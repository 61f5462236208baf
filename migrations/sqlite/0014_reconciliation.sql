-- Reconciliation: each supplier's own history matched with our orders (see
-- crates/core/src/reconcile/). `supplier` is a supplier account's name, or '' for
-- the shop's single supplier set up by environment or settings.

-- Money the owner put into a supplier account, so that the balance's movement
-- explains itself.
CREATE TABLE IF NOT EXISTS supplier_topups (
    id           INTEGER PRIMARY KEY,
    supplier     TEXT    NOT NULL DEFAULT '',
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT    NOT NULL CHECK (length(currency) = 3),
    -- When the money reached the account (RFC 3339 UTC).
    at           TEXT    NOT NULL,
    reference    TEXT,
    staff        TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS supplier_topups_at ON supplier_topups (supplier, at);

-- One reconciliation of a window, and the balance read at its end: the next run
-- measures the balance's movement from it.
CREATE TABLE IF NOT EXISTS reconcile_runs (
    id               INTEGER PRIMARY KEY,
    supplier         TEXT    NOT NULL DEFAULT '',
    window_from      TEXT    NOT NULL,
    window_to        TEXT    NOT NULL,
    balance_minor    INTEGER,
    balance_currency TEXT,
    transactions     INTEGER NOT NULL,
    findings         INTEGER NOT NULL,
    at               TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS reconcile_runs_supplier ON reconcile_runs (supplier, window_to);

-- What a run found. Amounts in the minor units of `currency` (the account's).
CREATE TABLE IF NOT EXISTS reconcile_findings (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES reconcile_runs (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('charged_not_delivered',
                          'delivered_not_charged', 'amount_mismatch', 'balance_unexplained')),
    order_id          INTEGER REFERENCES orders (id),
    supplier_key      TEXT,
    supplier_order_id TEXT,
    supplier_status   TEXT,
    charged_minor     INTEGER,
    cost_minor        INTEGER,
    currency          TEXT,
    -- What the owner can do: 'deliver' (fetch the codes and deliver), or NULL.
    action            TEXT,
    message           TEXT    NOT NULL,
    facts             TEXT
);
CREATE INDEX IF NOT EXISTS reconcile_findings_run ON reconcile_findings (run_id);
CREATE INDEX IF NOT EXISTS reconcile_findings_order ON reconcile_findings (order_id);
