-- Rolodex schema, SQLite. Timestamps are integer Unix seconds (UTC); booleans are 0/1.
-- Every record carries tenant_id; every lookup filters on it.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT,
    token_hash  TEXT NOT NULL UNIQUE,   -- SHA-256 of the token, hex
    prefix      TEXT NOT NULL,          -- first characters, to recognise a token in listings
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);

CREATE TABLE client_types (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,          -- lower-cased name: types are matched case-insensitively
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name_key)
);

CREATE TABLE companies (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id           INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status              TEXT NOT NULL DEFAULT 'active',
    name                TEXT NOT NULL,
    client_type_id      INTEGER REFERENCES client_types(id) ON DELETE SET NULL,
    parent_company_id   INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    phone               TEXT,
    address             TEXT,
    address_line_2      TEXT,
    city                TEXT,
    state               TEXT,
    postal_code         TEXT,
    country             TEXT,
    fein                TEXT,
    tax_exempt          INTEGER NOT NULL DEFAULT 0,
    tax_rate            REAL,
    notes               TEXT,
    payment_term        TEXT,
    due_date_days       INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX companies_tenant_id ON companies (tenant_id, id);
CREATE INDEX companies_tenant_name ON companies (tenant_id, name, id);
CREATE INDEX companies_tenant_created ON companies (tenant_id, created_at, id);
CREATE INDEX companies_tenant_updated ON companies (tenant_id, updated_at, id);
CREATE INDEX companies_parent ON companies (parent_company_id);

CREATE TABLE contacts (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id               INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status                  TEXT NOT NULL DEFAULT 'active',
    first_name              TEXT NOT NULL,
    last_name               TEXT,
    full_name               TEXT NOT NULL,   -- derived, stored so it can be filtered and indexed
    email                   TEXT,
    phone_1                 TEXT,
    phone_2                 TEXT,
    receiving_bank_name     TEXT,
    receiving_bank_address  TEXT,
    primary_company_id      INTEGER NOT NULL REFERENCES companies(id),
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
-- (tenant_id, column, id): filter on the column, or sort by it with the id tie-break, from the index.
-- Name lookups sorted by name (first name filtered, last name sorted, and the reverse) are common
-- enough to get the other name as the second column.
CREATE INDEX contacts_tenant_id ON contacts (tenant_id, id);
CREATE INDEX contacts_tenant_first_name ON contacts (tenant_id, first_name, last_name, id);
CREATE INDEX contacts_tenant_last_name ON contacts (tenant_id, last_name, first_name, id);
CREATE INDEX contacts_tenant_full_name ON contacts (tenant_id, full_name, id);
CREATE INDEX contacts_tenant_email ON contacts (tenant_id, email, id);
CREATE INDEX contacts_tenant_phone_1 ON contacts (tenant_id, phone_1, id);
CREATE INDEX contacts_tenant_created ON contacts (tenant_id, created_at, id);
CREATE INDEX contacts_tenant_updated ON contacts (tenant_id, updated_at, id);
-- Deleting a company checks this foreign key.
CREATE INDEX contacts_primary_company ON contacts (primary_company_id);

-- A contact's links to companies. The contact's primary company is contacts.primary_company_id;
-- is_primary here means "this contact is the primary contact of that company".
CREATE TABLE contact_companies (
    contact_id                          INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    company_id                          INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    position                            INTEGER NOT NULL,   -- order in which the links were made
    is_primary                          INTEGER NOT NULL DEFAULT 0,
    receive_quotation_pdf               INTEGER NOT NULL DEFAULT 0,
    receive_purchase_order_pdf          INTEGER NOT NULL DEFAULT 0,
    receive_purchase_order_invoice_pdf  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contact_id, company_id)
);
CREATE INDEX contact_companies_company ON contact_companies (company_id, contact_id);
-- At most one primary contact per company, enforced by the database itself.
CREATE UNIQUE INDEX contact_companies_one_primary ON contact_companies (company_id) WHERE is_primary = 1;

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,   -- lower-cased: tags are matched case-insensitively
    description  TEXT,
    icon         TEXT,
    color        TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (tenant_id, name_key)
);

CREATE TABLE contact_tags (
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE company_tags (
    company_id  INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (company_id, tag_id)
);
CREATE INDEX company_tags_tag ON company_tags (tag_id, company_id);

CREATE TABLE portal_logins (
    contact_id     INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    email_key      TEXT NOT NULL,      -- lower-cased: login emails are unique case-insensitively
    password_hash  TEXT NOT NULL,      -- argon2id PHC string
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, email_key)
);
