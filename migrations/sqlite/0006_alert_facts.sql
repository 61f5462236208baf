-- The figures an alert's message names (amounts, order, sku, reason), as a JSON
-- object, so that the app can say the message in the shop's language; `message`
-- stays the English sentence for logs, notifications and older readers.
ALTER TABLE alerts ADD COLUMN facts TEXT;
