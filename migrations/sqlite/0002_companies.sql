-- Rolodex schema, SQLite, part 2: shipping addresses and custom fields of companies (§5).
-- Timestamps are integer Unix seconds (UTC); booleans are 0/1.

CREATE TABLE shipping_addresses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    company_id      INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    first_name      TEXT,
    last_name       TEXT,
    email           TEXT,
    phone           TEXT,
    address         TEXT,
    address_line_2  TEXT,
    city            TEXT,
    state           TEXT,
    postal_code     TEXT,
    country         TEXT,
    is_default      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX shipping_addresses_company ON shipping_addresses (company_id, id);
-- At most one default address per company, enforced by the database itself.
CREATE UNIQUE INDEX shipping_addresses_one_default ON shipping_addresses (company_id) WHERE is_default = 1;

-- Custom-field definitions of a tenant. object_types and options are JSON text.
CREATE TABLE custom_fields (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    label_key     TEXT NOT NULL,   -- lower-cased: labels are unique case-insensitively
    field_type    TEXT NOT NULL,   -- number, date, string, dropdown
    object_types  TEXT NOT NULL,
    options       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (tenant_id, label_key)
);

-- The custom-field values of companies; value is JSON text (a number or a string).
CREATE TABLE company_custom_values (
    company_id  INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    field_id    INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
    value       TEXT NOT NULL,
    PRIMARY KEY (company_id, field_id)
);
CREATE INDEX company_custom_values_field ON company_custom_values (field_id, company_id);

CREATE INDEX companies_tenant_parent ON companies (tenant_id, parent_company_id);
