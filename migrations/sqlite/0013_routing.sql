-- Several supplier accounts at once. A product row is one supplier's offer: `supplier`
-- is the account's name (NULL: the shop's single supplier from the environment or
-- the settings) and `supplier_sku` its sku there when the counter's sku differs (a
-- sku another supplier already holds is kept as NAME:SKU).
ALTER TABLE products ADD COLUMN supplier TEXT;
ALTER TABLE products ADD COLUMN supplier_sku TEXT;
-- Offers of one product at the counter share a group: the sku of the row they were
-- linked to (NULL: the row is its own group). Linked by a sync when brand, region,
-- category, face value and face currency match, or by the owner (`group_manual`,
-- which syncs never change).
ALTER TABLE products ADD COLUMN offer_group TEXT;
ALTER TABLE products ADD COLUMN group_manual INTEGER NOT NULL DEFAULT 0 CHECK (group_manual IN (0, 1));

CREATE UNIQUE INDEX IF NOT EXISTS products_at_supplier
    ON products (coalesce(supplier, ''), coalesce(supplier_sku, sku));
CREATE INDEX IF NOT EXISTS products_offer_group ON products (offer_group)
    WHERE offer_group IS NOT NULL;
CREATE INDEX IF NOT EXISTS products_same_card
    ON products (category, face_minor, face_currency, region);

-- Each supplier's walk has its own watermark and full-walk age.
ALTER TABLE sync_runs ADD COLUMN supplier TEXT;

-- The supplier the order is (now) being bought from, its sku there, and the attempt:
-- after a final refusal once paid, the order moves to the next offer under a new key
-- (`attempt_key`; NULL: the order's client_order_id, attempt 1). The attempts that
-- ended are kept in `order_attempts`.
ALTER TABLE orders ADD COLUMN supplier TEXT;
ALTER TABLE orders ADD COLUMN supplier_sku TEXT;
ALTER TABLE orders ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt BETWEEN 1 AND 10);
ALTER TABLE orders ADD COLUMN attempt_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS orders_attempt_key ON orders (attempt_key) WHERE attempt_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS order_attempts (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id),
    seq                INTEGER NOT NULL,
    supplier           TEXT,
    supplier_sku       TEXT    NOT NULL,
    -- The key this attempt was sent under: refused, so nothing was charged under it.
    client_order_id    TEXT    NOT NULL UNIQUE,
    max_unit_minor     INTEGER NOT NULL,
    wholesale_currency TEXT    NOT NULL,
    failure_code       TEXT    NOT NULL,
    failure_message    TEXT    NOT NULL,
    ended_at           TEXT    NOT NULL,
    UNIQUE (order_id, seq)
);
CREATE INDEX IF NOT EXISTS orders_supplier ON orders (supplier);
