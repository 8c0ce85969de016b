-- Rolodex schema, PostgreSQL, part 8: the name and e-mail indexes in the order lists sort by.
-- Lists order NULLs first ascending and last descending, as SQLite does (store::list renders
-- `ASC NULLS FIRST` / `DESC NULLS LAST` on nullable columns). A B-tree built with the default
-- (NULLS LAST ascending) cannot give that order, so PostgreSQL read and sorted every matching row
-- before a page; built NULLS FIRST it reads a page in index order (backwards for DESC) and stops.
DROP INDEX contacts_tenant_first_name;
CREATE INDEX contacts_tenant_first_name ON contacts (tenant_id, first_name, last_name NULLS FIRST, id);
DROP INDEX contacts_tenant_last_name;
CREATE INDEX contacts_tenant_last_name ON contacts (tenant_id, last_name NULLS FIRST, first_name, id);
DROP INDEX contacts_tenant_email;
CREATE INDEX contacts_tenant_email ON contacts (tenant_id, email NULLS FIRST, id);
