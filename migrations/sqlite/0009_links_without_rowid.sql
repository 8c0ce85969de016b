-- Rolodex schema, SQLite, part 9: the link tables clustered on their keys (WITHOUT ROWID).
--
-- A contact's links and tags are read by contact id for every contact a page shows. As rowid
-- tables, each link was an entry of the primary-key index and then a row of the table: two B-tree
-- lookups, two pages to keep warm. Clustered on (contact_id, ...) it is one, and the tables are
-- smaller. Same columns, keys, indexes and foreign keys as before; the rows are copied as they are.

CREATE TABLE contact_companies_clustered (
    contact_id                          INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    company_id                          INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    position                            INTEGER NOT NULL,   -- order in which the links were made
    is_primary                          INTEGER NOT NULL DEFAULT 0,
    receive_quotation_pdf               INTEGER NOT NULL DEFAULT 0,
    receive_purchase_order_pdf          INTEGER NOT NULL DEFAULT 0,
    receive_purchase_order_invoice_pdf  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contact_id, company_id)
) WITHOUT ROWID;
INSERT INTO contact_companies_clustered (contact_id, company_id, position, is_primary,
        receive_quotation_pdf, receive_purchase_order_pdf, receive_purchase_order_invoice_pdf)
    SELECT contact_id, company_id, position, is_primary, receive_quotation_pdf,
        receive_purchase_order_pdf, receive_purchase_order_invoice_pdf
    FROM contact_companies;
DROP TABLE contact_companies;
ALTER TABLE contact_companies_clustered RENAME TO contact_companies;
CREATE INDEX contact_companies_company ON contact_companies (company_id, contact_id);
-- At most one primary contact per company, enforced by the database itself.
CREATE UNIQUE INDEX contact_companies_one_primary ON contact_companies (company_id) WHERE is_primary = 1;

CREATE TABLE contact_tags_clustered (
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
INSERT INTO contact_tags_clustered (contact_id, tag_id) SELECT contact_id, tag_id FROM contact_tags;
DROP TABLE contact_tags;
ALTER TABLE contact_tags_clustered RENAME TO contact_tags;
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);
