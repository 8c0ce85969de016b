-- Rolodex schema, SQLite, part 8: structures derived from `contacts`, never copied, exported or
-- snapshotted (`store::tables::NOT_COPIED`): a target's own triggers rebuild them as the contacts
-- are inserted.

-- Each tenant's number of contacts, kept by triggers in the same transaction as every write: the
-- exact total of an unfiltered contact list without counting the tenant's index entries on every
-- page (a client walking every page of a large tenant would otherwise count the whole tenant once
-- per page). SQLite has one writer, so one counter row per tenant costs no contention.
CREATE TABLE contact_counts (
    tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    contacts  INTEGER NOT NULL
);
INSERT INTO contact_counts (tenant_id, contacts)
    SELECT tenant_id, COUNT(*) FROM contacts GROUP BY tenant_id;
CREATE TRIGGER contact_counts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_counts (tenant_id, contacts) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET contacts = contacts + 1;
END;
CREATE TRIGGER contact_counts_delete AFTER DELETE ON contacts BEGIN
    UPDATE contact_counts SET contacts = contacts - 1 WHERE tenant_id = OLD.tenant_id;
END;

-- A substring index of the names and the e-mail: `contains` on these columns (the API's filters
-- and the console's search box) reads the matching ids from it instead of scanning the tenant.
-- The trigram tokenizer with case_sensitive 1 makes a phrase query of 3 or more characters
-- exactly a case-sensitive substring test, the same as `instr`. Contentless (it holds only the
-- trigrams; ids are all a search needs), with deletes by id.
CREATE VIRTUAL TABLE contacts_search USING fts5 (
    first_name, last_name, full_name, email,
    content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1'
);
INSERT INTO contacts_search (rowid, first_name, last_name, full_name, email)
    SELECT id, first_name, last_name, full_name, email FROM contacts;

-- Indexing a contact costs far more in small transactions than in large ones (each commit writes
-- an index segment of every trigram it touched), so a write only records which contacts changed
-- here, and the server indexes them in batches shortly after (store::contacts::index_pending). A
-- search is exact meanwhile: it takes the index's answer for the contacts not listed here and
-- tests the listed ones directly (store::list::SubstringIndex). No foreign key: a deleted
-- contact stays listed until its index entry is removed.
CREATE TABLE contacts_search_pending (
    contact_id INTEGER PRIMARY KEY
);
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search_pending (contact_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search_pending (contact_id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
END;
-- Only when an indexed column is written: most updates (phones, flags, links) leave it alone.
CREATE TRIGGER contacts_search_update AFTER UPDATE OF first_name, last_name, full_name, email
    ON contacts BEGIN
    INSERT INTO contacts_search_pending (contact_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
-- One segment to start from (see store::contacts::optimize_search_index).
INSERT INTO contacts_search (contacts_search) VALUES ('optimize');
