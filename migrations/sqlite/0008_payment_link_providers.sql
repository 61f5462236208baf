-- Payment links from NOWPayments (an invoice) and Razorpay (a payment link) too.
-- SQLite cannot widen a CHECK in place: the table is rebuilt with the same rows.
-- Nothing references payment_links, so dropping the old one breaks no key.
CREATE TABLE payment_links_new (
    order_id    INTEGER PRIMARY KEY REFERENCES orders (id),
    provider    TEXT    NOT NULL
                CHECK (provider IN ('stripe', 'btcpay', 'nowpayments', 'razorpay')),
    external_id TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (provider, external_id)
);
INSERT INTO payment_links_new (order_id, provider, external_id, url, created_at)
    SELECT order_id, provider, external_id, url, created_at FROM payment_links;
DROP TABLE payment_links;
ALTER TABLE payment_links_new RENAME TO payment_links;
