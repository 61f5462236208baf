-- Baskets (crates/core/src/orders/basket.rs): a counter sale of several lines, quoted
-- together and paid once. Each unit of each line is an order of its own, with its own
-- key at the supplier, lease, recovery and refund; the basket keeps what belongs to
-- the payment as a whole (the cash tendered and the change) and the line each order
-- came from.
CREATE TABLE IF NOT EXISTS baskets (
    id             INTEGER PRIMARY KEY,
    public_id      TEXT    NOT NULL UNIQUE,
    -- Fixed by the till before the write: the basket's orders find it by this.
    basket_key     TEXT    NOT NULL UNIQUE,
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    total_minor    INTEGER NOT NULL CHECK (total_minor >= 0),
    method         TEXT    NOT NULL,
    tendered_minor INTEGER CHECK (tendered_minor >= 0),
    change_minor   INTEGER CHECK (change_minor >= 0),
    reference      TEXT,
    staff          TEXT    NOT NULL,
    till_id        TEXT,
    created_at     TEXT    NOT NULL
);

ALTER TABLE orders ADD COLUMN basket_id INTEGER REFERENCES baskets (id);
-- The basket's line (1, 2, …) this order is a unit of.
ALTER TABLE orders ADD COLUMN basket_line INTEGER CHECK (basket_line BETWEEN 1 AND 50);
CREATE INDEX IF NOT EXISTS orders_by_basket ON orders (basket_id) WHERE basket_id IS NOT NULL;
