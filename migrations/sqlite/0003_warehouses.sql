-- Rolodex schema, SQLite, part 3: warehouses. Timestamps are integer Unix seconds (UTC).

CREATE TABLE warehouses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status      TEXT NOT NULL DEFAULT 'active',   -- active, inactive
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,                    -- lower-cased: names are unique case-insensitively
    -- No ON DELETE action: a warehouse with children cannot be deleted (409), and the database
    -- refuses it too.
    parent_id   INTEGER REFERENCES warehouses(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name_key)
);
CREATE INDEX warehouses_tenant_id ON warehouses (tenant_id, id);
-- Deleting a warehouse counts its children and checks this foreign key.
CREATE INDEX warehouses_parent ON warehouses (parent_id);

-- Every tenant has at least one warehouse; those created before this migration get theirs here.
INSERT INTO warehouses (tenant_id, status, name, name_key, created_at, updated_at)
SELECT id, 'active', 'Main Warehouse', 'main warehouse', CAST(strftime('%s', 'now') AS INTEGER),
       CAST(strftime('%s', 'now') AS INTEGER)
FROM tenants ORDER BY id;
