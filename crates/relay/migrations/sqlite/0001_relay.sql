-- The relay's whole schema. The Postgres migration of the same number has the same
-- tables, columns and constraints; only the types differ.

-- One row per shop. `head` is the shop's last allocated cursor: it is bumped in the
-- same transaction that inserts the event, so cursors follow commit order per shop.
CREATE TABLE shops (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL UNIQUE,   -- SHA-256 of the client token
    head        INTEGER NOT NULL DEFAULT 0,
    acked       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL           -- unix ms
) STRICT;

CREATE TABLE endpoints (
    id          TEXT    PRIMARY KEY,       -- >= 128-bit random, part of the public URL
    shop_id     TEXT    NOT NULL REFERENCES shops (id),
    provider    TEXT    NOT NULL,
    secrets     BLOB    NOT NULL,          -- XChaCha20-Poly1305: nonce || sealed JSON list
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
    shop_id      TEXT    NOT NULL REFERENCES shops (id),
    cursor       INTEGER NOT NULL,
    provider     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    event_type   TEXT,
    endpoint_id  TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,         -- unix ms
    payload      TEXT,                     -- the raw body; NULL once retention dropped it
    PRIMARY KEY (shop_id, cursor),
    -- The dedupe key: a provider retry, or a racing duplicate, conflicts here.
    UNIQUE (shop_id, provider, event_id)
) STRICT;

-- Retention walks old bodies by age.
CREATE INDEX events_received_at ON events (received_at) WHERE payload IS NOT NULL;
