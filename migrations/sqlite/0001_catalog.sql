-- The supplier's catalog as the shop keeps it, priced for retail.
-- Money is exact integer minor units (cents) beside its ISO-4217 currency.

CREATE TABLE IF NOT EXISTS products (
    id                  INTEGER PRIMARY KEY,
    sku                 TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    brand               TEXT    NOT NULL,
    category            TEXT    NOT NULL
                        CHECK (category IN ('gift_card', 'game_topup', 'mobile_topup', 'software_key')),
    region              TEXT    NOT NULL,
    face_minor          INTEGER NOT NULL,
    face_currency       TEXT    NOT NULL,
    wholesale_minor     INTEGER NOT NULL CHECK (wholesale_minor >= 0),
    retail_minor        INTEGER NOT NULL CHECK (retail_minor >= 0),
    currency            TEXT    NOT NULL,
    in_stock            INTEGER NOT NULL CHECK (in_stock IN (0, 1)),
    redeem_url          TEXT,
    redeem_instructions TEXT,
    supplier_updated_at TEXT    NOT NULL,
    discontinued_at     TEXT,
    updated_at          TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS products_category ON products (category);

-- Full-text search over what staff type: sku, name, brand, region. External content:
-- the typed columns stay in `products`; FTS only finds rowids.
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
    sku, name, brand, region,
    content = 'products', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, sku, name, brand, region)
    VALUES (new.id, new.sku, new.name, new.brand, new.region);
END;

CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, sku, name, brand, region)
    VALUES ('delete', old.id, old.sku, old.name, old.brand, old.region);
END;

-- Only a change to a searched column touches the index: price updates stay cheap.
CREATE TRIGGER IF NOT EXISTS products_fts_update AFTER UPDATE ON products
WHEN old.sku IS NOT new.sku OR old.name IS NOT new.name
  OR old.brand IS NOT new.brand OR old.region IS NOT new.region
BEGIN
    INSERT INTO products_fts (products_fts, rowid, sku, name, brand, region)
    VALUES ('delete', old.id, old.sku, old.name, old.brand, old.region);
    INSERT INTO products_fts (rowid, sku, name, brand, region)
    VALUES (new.id, new.sku, new.name, new.brand, new.region);
END;

-- Retail pricing rules: category '*' is the global rule. Percentages in basis points
-- (hundredths of a percent) so they stay exact.
CREATE TABLE IF NOT EXISTS price_rules (
    category       TEXT    PRIMARY KEY
                   CHECK (category IN ('*', 'gift_card', 'game_topup', 'mobile_topup', 'software_key')),
    fee_bp         INTEGER NOT NULL CHECK (fee_bp >= 0),
    fx_bp          INTEGER NOT NULL CHECK (fx_bp >= 0),
    margin_bp      INTEGER NOT NULL CHECK (margin_bp >= 0),
    rounding       TEXT    NOT NULL,
    floor_minor    INTEGER,
    floor_currency TEXT,
    updated_at     TEXT    NOT NULL,
    CHECK (fee_bp + fx_bp + margin_bp < 10000)
);

CREATE TABLE IF NOT EXISTS sync_runs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('full', 'incremental')),
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    status         TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    updated_since  TEXT,
    pages          INTEGER NOT NULL DEFAULT 0,
    received       INTEGER NOT NULL DEFAULT 0,
    inserted       INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    discontinued   INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    price_changes  INTEGER NOT NULL DEFAULT 0,
    -- newest supplier updated_at seen: the next incremental sync asks from here
    watermark      TEXT,
    error          TEXT
);

-- Rows a sync could not import, with the reason, for the owner to read.
CREATE TABLE IF NOT EXISTS sync_skips (
    run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    sku    TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_skips_run ON sync_skips (run_id);

CREATE TABLE IF NOT EXISTS price_history (
    id                  INTEGER PRIMARY KEY,
    product_id          INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku                 TEXT    NOT NULL,
    currency            TEXT    NOT NULL,
    old_wholesale_minor INTEGER NOT NULL,
    new_wholesale_minor INTEGER NOT NULL,
    old_retail_minor    INTEGER NOT NULL,
    new_retail_minor    INTEGER NOT NULL,
    sync_run_id         INTEGER REFERENCES sync_runs (id),
    changed_at          TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS price_history_product ON price_history (product_id, changed_at);
CREATE INDEX IF NOT EXISTS price_history_changed ON price_history (changed_at);

CREATE TABLE IF NOT EXISTS settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Rank: a hit in the sku counts most, then the name, the brand, the region.
INSERT INTO products_fts (products_fts, rank) VALUES ('rank', 'bm25(10.0, 5.0, 2.0, 1.0)');
