-- Selling in the shop's own currency: a product's retail price may be in another
-- currency than its wholesale cost (NULL: the same, as before), and an order keeps
-- the rate that turned its cost into its price, so margins stay true when rates move.
ALTER TABLE products ADD COLUMN retail_currency TEXT;
ALTER TABLE price_history ADD COLUMN retail_currency TEXT;
-- Units of the sale currency per unit of the cost (wholesale) currency, a decimal
-- string; NULL for orders from before (the same currency, a rate of 1).
ALTER TABLE orders ADD COLUMN fx_rate TEXT;
