-- Which supplier accounts are enabled decides which offer of a card a search
-- shows, so a till's catalog copy holds the accounts as well: a change to them
-- moves the catalog's number, and tells the listening tills, as a product does.
CREATE TRIGGER catalog_version_accounts AFTER INSERT OR UPDATE OR DELETE ON supplier_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
