-- Shifts and the cash drawer (crates/core/src/shifts): a till's shift opens with a
-- float, moves cash in and out with a reason, and closes with the counted cash and a
-- Z-report whose number follows the last one. A closed shift never changes: the
-- triggers below refuse any change to it, to its cash moves, or to which shift an
-- order or a refund belongs to.
CREATE TABLE IF NOT EXISTS shifts (
    id             INTEGER PRIMARY KEY,
    -- The till as orders name it (`orders.till_id`); NULL for a till with no name.
    till_id        TEXT,
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    float_minor    INTEGER NOT NULL CHECK (float_minor >= 0),
    opened_by      TEXT    NOT NULL,
    opened_at      TEXT    NOT NULL,
    -- Set together when the shift closes, never before.
    z_number       INTEGER UNIQUE,
    closed_by      TEXT,
    closed_at      TEXT,
    counted_minor  INTEGER CHECK (counted_minor >= 0),
    -- The Z-report as it was at the close, as JSON: later changes to its orders (a
    -- late delivery, a refund given the next day) belong to the shifts they happen in.
    report         TEXT,
    CHECK ((closed_at IS NULL) = (z_number IS NULL)
       AND (closed_at IS NULL) = (counted_minor IS NULL)
       AND (closed_at IS NULL) = (report IS NULL)
       AND (closed_at IS NULL) = (closed_by IS NULL))
);
-- One open shift per till.
CREATE UNIQUE INDEX IF NOT EXISTS shifts_open_per_till ON shifts (coalesce(till_id, ''))
    WHERE closed_at IS NULL;

CREATE TABLE IF NOT EXISTS shift_cash_moves (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES shifts (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('in', 'out')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    reason       TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    staff        TEXT    NOT NULL,
    at           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS shift_cash_moves_shift ON shift_cash_moves (shift_id);

-- The shift open at the order's till when its payment was taken (set by the insert
-- and payment statements in crates/core/src/orders/store), and the shift open at the
-- order's till when a refund was given back.
ALTER TABLE orders ADD COLUMN shift_id INTEGER REFERENCES shifts (id);
ALTER TABLE refunds ADD COLUMN shift_id INTEGER REFERENCES shifts (id);
CREATE INDEX IF NOT EXISTS orders_shift ON orders (shift_id) WHERE shift_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS refunds_shift ON refunds (shift_id) WHERE shift_id IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS shifts_closed_never_change BEFORE UPDATE ON shifts
WHEN OLD.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a closed shift never changes');
END;

CREATE TRIGGER IF NOT EXISTS shifts_closed_never_go BEFORE DELETE ON shifts
WHEN OLD.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a closed shift never changes');
END;

-- Z numbers follow each other: the close takes the next one, none is skipped.
CREATE TRIGGER IF NOT EXISTS shifts_z_numbers_follow BEFORE UPDATE OF z_number ON shifts
WHEN NEW.z_number IS NOT (SELECT coalesce(max(z_number), 0) + 1 FROM shifts)
BEGIN
    SELECT RAISE(ABORT, 'Z numbers follow each other');
END;

CREATE TRIGGER IF NOT EXISTS shifts_open_with_no_number BEFORE INSERT ON shifts
WHEN NEW.closed_at IS NOT NULL OR NEW.z_number IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a shift opens before it closes');
END;

CREATE TRIGGER IF NOT EXISTS shift_cash_moves_into_open_shifts BEFORE INSERT ON shift_cash_moves
WHEN (SELECT closed_at FROM shifts WHERE id = NEW.shift_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a closed shift never changes');
END;

CREATE TRIGGER IF NOT EXISTS shift_cash_moves_never_change BEFORE UPDATE ON shift_cash_moves
BEGIN
    SELECT RAISE(ABORT, 'a cash move is never changed');
END;

CREATE TRIGGER IF NOT EXISTS shift_cash_moves_never_go BEFORE DELETE ON shift_cash_moves
BEGIN
    SELECT RAISE(ABORT, 'a cash move is never changed');
END;

CREATE TRIGGER IF NOT EXISTS orders_shift_is_kept BEFORE UPDATE OF shift_id ON orders
WHEN OLD.shift_id IS NOT NULL AND NEW.shift_id IS NOT OLD.shift_id
BEGIN
    SELECT RAISE(ABORT, 'an order stays in the shift it was paid in');
END;

CREATE TRIGGER IF NOT EXISTS refunds_shift_is_kept BEFORE UPDATE OF shift_id ON refunds
WHEN OLD.shift_id IS NOT NULL AND NEW.shift_id IS NOT OLD.shift_id
BEGIN
    SELECT RAISE(ABORT, 'a refund stays in the shift it was given in');
END;

-- Reports (crates/core/src/reports): delivered sales by the time they were paid,
-- covering what a report by day, week or month reads.
CREATE INDEX IF NOT EXISTS orders_sales_by_time ON orders (paid_at, currency, wholesale_currency,
    fx_rate, price_minor, supplier_total_minor, max_unit_minor, quantity) WHERE status = 'delivered';

-- Re-price proposals (crates/core/src/catalog/proposals.rs): a price change from a
-- sync stays proposed until the owner applies its product's new price.
ALTER TABLE price_history ADD COLUMN reviewed_at TEXT;
CREATE INDEX IF NOT EXISTS price_history_unreviewed ON price_history (product_id)
    WHERE reviewed_at IS NULL AND sync_run_id IS NOT NULL;
