-- Rolodex schema, SQLite, part 12: how many of a tenant's contacts have each first name and each
-- last name, kept by triggers in the same transaction as every write (as `contact_counts` keeps
-- the tenant's total, part 8). A list filtered by one name (`first_name[eq]=X`, `last_name[eq]=X`,
-- the commonest filters) takes its exact total from here instead of counting the name's index
-- entries on every page: at a million contacts a common name has 10,000 of them, 0.4 ms a count,
-- most of such a page's cost. Values compare as the filters compare them (BINARY). Names no
-- contact has any more are removed, so the table holds one row per name in use.
CREATE TABLE contact_name_counts (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    field     TEXT NOT NULL,   -- 'first_name' or 'last_name'
    value     TEXT NOT NULL,
    contacts  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, field, value)
) WITHOUT ROWID;
INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
    SELECT tenant_id, 'first_name', first_name, COUNT(*) FROM contacts
    GROUP BY tenant_id, first_name;
INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
    SELECT tenant_id, 'last_name', last_name, COUNT(*) FROM contacts WHERE last_name IS NOT NULL
    GROUP BY tenant_id, last_name;

CREATE TRIGGER contact_name_counts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
        VALUES (NEW.tenant_id, 'first_name', NEW.first_name, 1)
        ON CONFLICT (tenant_id, field, value) DO UPDATE SET contacts = contacts + 1;
    INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
        SELECT NEW.tenant_id, 'last_name', NEW.last_name, 1 WHERE NEW.last_name IS NOT NULL
        ON CONFLICT (tenant_id, field, value) DO UPDATE SET contacts = contacts + 1;
END;

CREATE TRIGGER contact_name_counts_delete AFTER DELETE ON contacts BEGIN
    UPDATE contact_name_counts SET contacts = contacts - 1
        WHERE tenant_id = OLD.tenant_id AND field = 'first_name' AND value = OLD.first_name;
    UPDATE contact_name_counts SET contacts = contacts - 1
        WHERE tenant_id = OLD.tenant_id AND field = 'last_name' AND value = OLD.last_name;
    DELETE FROM contact_name_counts
        WHERE tenant_id = OLD.tenant_id AND contacts = 0
        AND ((field = 'first_name' AND value = OLD.first_name) OR (field = 'last_name' AND value = OLD.last_name));
END;

CREATE TRIGGER contact_name_counts_first_name AFTER UPDATE OF first_name ON contacts
WHEN OLD.first_name IS NOT NEW.first_name BEGIN
    UPDATE contact_name_counts SET contacts = contacts - 1
        WHERE tenant_id = OLD.tenant_id AND field = 'first_name' AND value = OLD.first_name;
    DELETE FROM contact_name_counts
        WHERE tenant_id = OLD.tenant_id AND field = 'first_name' AND value = OLD.first_name AND contacts = 0;
    INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
        VALUES (NEW.tenant_id, 'first_name', NEW.first_name, 1)
        ON CONFLICT (tenant_id, field, value) DO UPDATE SET contacts = contacts + 1;
END;

CREATE TRIGGER contact_name_counts_last_name AFTER UPDATE OF last_name ON contacts
WHEN OLD.last_name IS NOT NEW.last_name BEGIN
    UPDATE contact_name_counts SET contacts = contacts - 1
        WHERE tenant_id = OLD.tenant_id AND field = 'last_name' AND value = OLD.last_name;
    DELETE FROM contact_name_counts
        WHERE tenant_id = OLD.tenant_id AND field = 'last_name' AND value = OLD.last_name AND contacts = 0;
    INSERT INTO contact_name_counts (tenant_id, field, value, contacts)
        SELECT NEW.tenant_id, 'last_name', NEW.last_name, 1 WHERE NEW.last_name IS NOT NULL
        ON CONFLICT (tenant_id, field, value) DO UPDATE SET contacts = contacts + 1;
END;
