-- Each till searches its own SQLite copy of the catalog (FTS5, milliseconds a
-- keystroke at 100,000 products). This number moves with every statement that
-- changes `products` (a sync, a reprice), so a till knows its copy is behind with
-- one cheap read; the notice tells listening tills at once.
CREATE TABLE catalog_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO catalog_version (id, n) VALUES (1, 0);

CREATE FUNCTION catalog_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
    PERFORM pg_notify('codetill_catalog', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER catalog_version_bump AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
