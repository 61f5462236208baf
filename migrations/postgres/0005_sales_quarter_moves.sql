-- Several tills deliver at once on PostgreSQL, and each delivery added itself to
-- one row per quarter and till: every delivery waited for the one before it to
-- commit (the row stays locked until then), and the row's many dead versions made
-- each upsert slower than the last. Here sales_quarters holds moves instead: a
-- sale appends a row of its own, a refund a negative one, and readers sum them per
-- quarter, as crates/core/src/reports already does. SQLite has one writer and keeps
-- one row per quarter (migrations/sqlite/0022).
ALTER TABLE sales_quarters DROP CONSTRAINT sales_quarters_pkey;
CREATE INDEX sales_quarters_moves ON sales_quarters (quarter, till_id);

CREATE OR REPLACE FUNCTION sales_quarters_add(o orders, sign BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales_quarters VALUES (
        sales_quarter(o.paid_at),
        coalesce(o.till_id, ''), o.currency, o.wholesale_currency, coalesce(o.fx_rate, ''),
        sign, sign * o.quantity, sign * o.price_minor,
        sign * coalesce(o.supplier_total_minor, o.max_unit_minor * o.quantity),
        sign * coalesce(o.tax_minor, 0))
$$;

-- Out as it was, in as it is; a quarter whose moves sum to nothing reads as empty.
CREATE OR REPLACE FUNCTION sales_quarters_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'delivered' AND OLD.paid_at IS NOT NULL THEN
        PERFORM sales_quarters_add(OLD, -1);
    END IF;
    IF NEW.status = 'delivered' AND NEW.paid_at IS NOT NULL THEN
        PERFORM sales_quarters_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sales_quarters_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_quarters_add(OLD, -1);
    RETURN NULL;
END
$$;
