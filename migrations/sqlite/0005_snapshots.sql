-- Rolodex schema, SQLite, part 5: tenant snapshots (the admin API of the sandbox).
-- A snapshot holds every record of one tenant as JSON text (see src/store/snapshots.rs); it is not
-- itself a record: a reset keeps it, and it goes with its tenant.

CREATE TABLE tenant_snapshots (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    row_count       INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);
