-- Rolodex schema, SQLite, part 4 (issue 10): price levels and the company's price level, and
-- whether a custom field applies to companies (its values are hidden while it does not).
-- Timestamps are integer Unix seconds (UTC).

CREATE TABLE price_levels (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id         INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status            TEXT NOT NULL DEFAULT 'active',   -- active, inactive
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,                    -- lower-cased: names are unique case-insensitively
    level_type        TEXT NOT NULL DEFAULT 'percentage', -- percentage, fixed
    percent_increase  REAL NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (tenant_id, name_key)
);
CREATE INDEX price_levels_tenant_id ON price_levels (tenant_id, id);

-- No ON DELETE action: a price level in use is not deleted (409), and the key says so too.
ALTER TABLE companies ADD COLUMN price_level_id INTEGER REFERENCES price_levels(id);
CREATE INDEX companies_price_level ON companies (price_level_id);

-- Every definition so far could only apply to companies.
ALTER TABLE custom_fields ADD COLUMN applies_to_companies INTEGER NOT NULL DEFAULT 1;
