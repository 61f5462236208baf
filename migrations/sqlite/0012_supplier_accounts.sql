-- The shop's supplier accounts, by the name the owner gives each. Keys and secrets
-- are in the OS keyring (`supplier-key/NAME`), never here.
CREATE TABLE IF NOT EXISTS supplier_accounts (
    name             TEXT    PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 40),
    kind             TEXT    NOT NULL
                     CHECK (kind IN ('wholesale', 'reloadly', 'reloadly-airtime', 'bamboo', 'ding')),
    url              TEXT    NOT NULL,
    -- Reloadly's token host.
    auth_url         TEXT,
    -- Bamboo's AccountId; Ding's shop number for PIN products.
    account          TEXT,
    -- The currency the account is kept in, when the owner says (else as the
    -- supplier's answers say).
    account_currency TEXT,
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
