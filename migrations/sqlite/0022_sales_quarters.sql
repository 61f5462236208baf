-- Reports by day, week and month (crates/core/src/reports) read quarter-hour sums
-- instead of every order: a month is under 3,000 rows however busy the shop.
--
-- A quarter is 15 minutes of UTC paid time, keyed 'YYYY-MM-DDTHH:MM'. Every time
-- zone's offset is a whole number of quarters, so a shop's local day is a whole run
-- of quarters. Sums are kept per till (a report is the shop's, or one till's),
-- and per sale currency, cost currency and rate, as the report converts costs at
-- each sale's own rate.
--
-- The triggers below keep the sums in the same transaction as the order row, so a
-- crash can never leave them apart: a delivered order is added; an order that
-- stops being delivered (a refund) or changes what it counts is taken out and put
-- back as it now is.
CREATE TABLE IF NOT EXISTS sales_quarters (
    quarter            TEXT    NOT NULL,
    -- '' for a till nobody named.
    till_id            TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    wholesale_currency TEXT    NOT NULL,
    -- '' for a sale with no conversion.
    fx_rate            TEXT    NOT NULL,
    orders             INTEGER NOT NULL,
    codes              INTEGER NOT NULL,
    sales_minor        INTEGER NOT NULL,
    cost_minor         INTEGER NOT NULL,
    tax_minor          INTEGER NOT NULL,
    PRIMARY KEY (quarter, till_id, currency, wholesale_currency, fx_rate)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS sales_quarters_on_insert AFTER INSERT ON orders
WHEN NEW.status = 'delivered' AND NEW.paid_at IS NOT NULL
BEGIN
    INSERT INTO sales_quarters VALUES (
        substr(NEW.paid_at, 1, 14) || printf('%02d', CAST(substr(NEW.paid_at, 15, 2) AS INTEGER) / 15 * 15),
        coalesce(NEW.till_id, ''), NEW.currency, NEW.wholesale_currency, coalesce(NEW.fx_rate, ''),
        1, NEW.quantity, NEW.price_minor,
        coalesce(NEW.supplier_total_minor, NEW.max_unit_minor * NEW.quantity),
        coalesce(NEW.tax_minor, 0))
    ON CONFLICT (quarter, till_id, currency, wholesale_currency, fx_rate) DO UPDATE SET
        orders = orders + excluded.orders, codes = codes + excluded.codes,
        sales_minor = sales_minor + excluded.sales_minor,
        cost_minor = cost_minor + excluded.cost_minor, tax_minor = tax_minor + excluded.tax_minor;
END;

CREATE TRIGGER IF NOT EXISTS sales_quarters_on_update AFTER UPDATE OF status, paid_at, till_id,
    currency, wholesale_currency, fx_rate, quantity, price_minor, supplier_total_minor, max_unit_minor,
    tax_minor ON orders
WHEN (OLD.status = 'delivered' AND OLD.paid_at IS NOT NULL)
  OR (NEW.status = 'delivered' AND NEW.paid_at IS NOT NULL)
BEGIN
    INSERT INTO sales_quarters
    SELECT substr(OLD.paid_at, 1, 14) || printf('%02d', CAST(substr(OLD.paid_at, 15, 2) AS INTEGER) / 15 * 15),
        coalesce(OLD.till_id, ''), OLD.currency, OLD.wholesale_currency, coalesce(OLD.fx_rate, ''),
        -1, -OLD.quantity, -OLD.price_minor,
        -coalesce(OLD.supplier_total_minor, OLD.max_unit_minor * OLD.quantity),
        -coalesce(OLD.tax_minor, 0)
    WHERE OLD.status = 'delivered' AND OLD.paid_at IS NOT NULL
    ON CONFLICT (quarter, till_id, currency, wholesale_currency, fx_rate) DO UPDATE SET
        orders = orders + excluded.orders, codes = codes + excluded.codes,
        sales_minor = sales_minor + excluded.sales_minor,
        cost_minor = cost_minor + excluded.cost_minor, tax_minor = tax_minor + excluded.tax_minor;
    INSERT INTO sales_quarters
    SELECT substr(NEW.paid_at, 1, 14) || printf('%02d', CAST(substr(NEW.paid_at, 15, 2) AS INTEGER) / 15 * 15),
        coalesce(NEW.till_id, ''), NEW.currency, NEW.wholesale_currency, coalesce(NEW.fx_rate, ''),
        1, NEW.quantity, NEW.price_minor,
        coalesce(NEW.supplier_total_minor, NEW.max_unit_minor * NEW.quantity),
        coalesce(NEW.tax_minor, 0)
    WHERE NEW.status = 'delivered' AND NEW.paid_at IS NOT NULL
    ON CONFLICT (quarter, till_id, currency, wholesale_currency, fx_rate) DO UPDATE SET
        orders = orders + excluded.orders, codes = codes + excluded.codes,
        sales_minor = sales_minor + excluded.sales_minor,
        cost_minor = cost_minor + excluded.cost_minor, tax_minor = tax_minor + excluded.tax_minor;
    -- A quarter left with nothing in it goes.
    DELETE FROM sales_quarters
    WHERE quarter = substr(OLD.paid_at, 1, 14) || printf('%02d', CAST(substr(OLD.paid_at, 15, 2) AS INTEGER) / 15 * 15)
      AND orders = 0 AND codes = 0 AND sales_minor = 0 AND cost_minor = 0 AND tax_minor = 0;
END;

-- Orders are never deleted; should one ever be, its sale leaves the sums with it.
CREATE TRIGGER IF NOT EXISTS sales_quarters_on_delete AFTER DELETE ON orders
WHEN OLD.status = 'delivered' AND OLD.paid_at IS NOT NULL
BEGIN
    UPDATE sales_quarters SET orders = orders - 1, codes = codes - OLD.quantity,
        sales_minor = sales_minor - OLD.price_minor,
        cost_minor = cost_minor - coalesce(OLD.supplier_total_minor, OLD.max_unit_minor * OLD.quantity),
        tax_minor = tax_minor - coalesce(OLD.tax_minor, 0)
    WHERE quarter = substr(OLD.paid_at, 1, 14) || printf('%02d', CAST(substr(OLD.paid_at, 15, 2) AS INTEGER) / 15 * 15)
      AND till_id = coalesce(OLD.till_id, '') AND currency = OLD.currency
      AND wholesale_currency = OLD.wholesale_currency
      AND fx_rate = coalesce(OLD.fx_rate, '');
END;

-- The sales already made.
INSERT INTO sales_quarters
SELECT substr(paid_at, 1, 14) || printf('%02d', CAST(substr(paid_at, 15, 2) AS INTEGER) / 15 * 15),
    coalesce(till_id, ''), currency, wholesale_currency, coalesce(fx_rate, ''),
    count(*), sum(quantity), sum(price_minor),
    sum(coalesce(supplier_total_minor, max_unit_minor * quantity)), sum(coalesce(tax_minor, 0))
FROM orders WHERE status = 'delivered' AND paid_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
