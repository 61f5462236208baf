-- Which key seals this shop's codes: a check value derived from the key (never the
-- key), written the first time a key is used on this database. A till that finds a
-- different key refuses it instead of sealing new codes no other till can read.
CREATE TABLE IF NOT EXISTS vault_binding (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    key_check TEXT    NOT NULL,
    bound_at  TEXT    NOT NULL
);
