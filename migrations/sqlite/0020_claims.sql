-- Claims: a paid sale taken while the supplier is down (the owner's choice). The
-- order waits in `paid`, never sent; the buyer holds a slip with its claim number,
-- and recovery buys the code the moment the supplier answers. A claim still unbought
-- after the owner's limit becomes refund due.

-- The number on the buyer's slip (and its QR code), unique per shop.
ALTER TABLE orders ADD COLUMN claim_no TEXT;
ALTER TABLE orders ADD COLUMN claimed_at TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS orders_claim_no ON orders (claim_no) WHERE claim_no IS NOT NULL;
