-- Rolodex schema, SQLite, part 11: a family's members by first name, Z to A, from an index.
--
-- Ties in a sort are broken by id ascending (the contract), so `sort=first_name:desc` asks for
-- first_name descending, then id ascending. `contacts_tenant_last_name` walked backwards gives
-- first_name descending with id descending: SQLite sorted each run of equal first names before a
-- page ("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"), every row up to the page's end, which cost
-- a `last_name[eq]=X&sort=first_name:desc` page (issue 14's list) three times its index walk.
-- This index holds that order; `contacts_tenant_last_name` still serves first_name ascending and
-- the last-name sorts.
CREATE INDEX contacts_tenant_last_name_first_desc ON contacts (tenant_id, last_name, first_name DESC, id);
