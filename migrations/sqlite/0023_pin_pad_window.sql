-- The PIN pad counts wrong PINs typed alone over a window (crates/core/src/staff):
-- a right PIN no longer clears the count, or anyone knowing their own PIN could
-- guess others' four at a time forever. Typos older than the window are forgotten.
ALTER TABLE pin_pad ADD COLUMN failed_since TEXT;
