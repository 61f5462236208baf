-- A signed body is stored at most once per shop and provider, whatever event id
-- came with it: Razorpay's event id arrives in an unsigned header, so a captured
-- delivery could otherwise be replayed as new events. For the other providers
-- the event id is inside the signed body, so this refuses nothing new.
-- Rows stored before this migration have no digest (NULLs never conflict).
ALTER TABLE events ADD COLUMN body_sha256 BLOB;

CREATE UNIQUE INDEX events_body_sha256 ON events (shop_id, provider, body_sha256);
