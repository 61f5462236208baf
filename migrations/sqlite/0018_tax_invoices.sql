-- Tax invoices (crates/core/src/tax.rs). Prices are inclusive of tax; each category
-- may carry a rate (percent, as decimal text). When the shop has a tax id, each sale
-- (an order, or a basket as a whole) gets an invoice number, sequential per financial
-- year, taken in the write that records its payment. An invoice never changes.
CREATE TABLE IF NOT EXISTS tax_rates (
    category TEXT PRIMARY KEY
             CHECK (category IN ('gift_card', 'game_topup', 'mobile_topup', 'software_key')),
    rate     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS invoices (
    id           INTEGER PRIMARY KEY,
    number       TEXT    NOT NULL UNIQUE,
    fy           TEXT    NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    order_id     INTEGER UNIQUE REFERENCES orders (id),
    basket_id    INTEGER UNIQUE REFERENCES baskets (id),
    shop_tax_id  TEXT    NOT NULL,
    buyer_tax_id TEXT,
    issued_at    TEXT    NOT NULL,
    UNIQUE (fy, seq),
    CHECK ((order_id IS NULL) <> (basket_id IS NULL))
);

CREATE TRIGGER IF NOT EXISTS invoices_never_change BEFORE UPDATE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'an invoice never changes');
END;
CREATE TRIGGER IF NOT EXISTS invoices_never_go BEFORE DELETE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'an invoice is never deleted');
END;

-- The rate (percent) and the tax part of the order's price, fixed at the sale;
-- NULL when the sale was no tax invoice.
ALTER TABLE orders ADD COLUMN tax_rate TEXT;
ALTER TABLE orders ADD COLUMN tax_minor INTEGER CHECK (tax_minor >= 0);

-- Reports carry the tax: the index that covers what a report by time reads covers
-- the tax part too.
DROP INDEX IF EXISTS orders_sales_by_time;
CREATE INDEX IF NOT EXISTS orders_sales_by_time ON orders (paid_at, currency, wholesale_currency,
    fx_rate, price_minor, supplier_total_minor, max_unit_minor, quantity, tax_minor)
    WHERE status = 'delivered';
