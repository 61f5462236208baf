-- Alerts the owner must see. The table itself came with 0003_delivery.sql (delivery
-- problems: an email not sent, a receipt not printed); crates/core/src/alerts.rs adds
-- balance low, supplier unreachable, price drift, order failed and refund due to it.
-- An alert is open until acknowledged_at is set, and a rule raises it once while open:
-- this index answers "is one of this kind already open?".
CREATE INDEX IF NOT EXISTS alerts_kind_open ON alerts (kind, order_id) WHERE acknowledged_at IS NULL;
