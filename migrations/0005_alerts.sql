-- Alerts the owner must see: balance low, supplier unreachable, price drift, order
-- failed, refund due. Kept so they survive a restart; see crates/core/src/alerts.rs.
-- IF NOT EXISTS: another migration may create the same table for the same purpose.
CREATE TABLE IF NOT EXISTS alerts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    -- The order it is about (ORD-000123), if any.
    order_ref  TEXT,
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'open'
);

-- "Is one already open?" is asked before every raise.
CREATE INDEX IF NOT EXISTS alerts_open ON alerts (kind, state);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_at);
