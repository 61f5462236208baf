-- Open-amount products (a supplier's RANGE products): the buyer picks the face value
-- within bounds, and the supplier charges face × cost_per_face + fee. NULL on fixed
-- products. Bounds in the face currency's minor units; the fee in the account's.
ALTER TABLE products ADD COLUMN open_min_minor INTEGER;
ALTER TABLE products ADD COLUMN open_max_minor INTEGER;
-- Account-currency cost of one unit of face value, a decimal string.
ALTER TABLE products ADD COLUMN open_cost_per_face TEXT;
ALTER TABLE products ADD COLUMN open_fee_minor INTEGER;
-- An order of an open-amount product: its face value is the amount the buyer chose,
-- sent to the supplier with every attempt.
ALTER TABLE orders ADD COLUMN open_amount INTEGER NOT NULL DEFAULT 0 CHECK (open_amount IN (0, 1));
