-- Exchange rates for selling in the shop's currency what is bought in the supplier
-- account's. A rate is an exact decimal string (it is not money: no minor units), one
-- row per pair as last set, by the owner ('owner') or read from a daily rates file
-- ('ecb', whose rates are all against EUR).
CREATE TABLE IF NOT EXISTS fx_rates (
    base        TEXT NOT NULL CHECK (length(base) = 3),
    quote       TEXT NOT NULL CHECK (length(quote) = 3 AND quote != base),
    rate        TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('owner', 'ecb')),
    -- The day the rate is for (the file's date, or when the owner set it).
    as_of       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (base, quote)
);
