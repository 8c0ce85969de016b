-- Rolodex schema, PostgreSQL, part 9: contacts' views from a PL/pgSQL function.
-- Behind a pooler in transaction mode (the default `--postgres-pooler transaction`) every
-- statement is unnamed, so PostgreSQL parses and plans it at every execution; a contact's view,
-- with its links and tags aggregated by correlated subqueries, cost more to plan than to run
-- (about 0.2 ms against 0.06 ms). PL/pgSQL keeps the plans of a function's statements for the
-- life of the server connection, whoever the client on it is: the view is planned once per
-- connection, through any pooler. The store calls it where statements are not prepared
-- (`store::contacts::aggregated_views_sql`: GET, the views read after writes, the lists); where
-- they are (`--postgres-pooler none`) it runs the same SELECT itself, `aggregated_columns()`,
-- which a test checks against this file.
-- Rows come back in the order of `p_ids`; ids that are not the tenant's contacts are skipped.
CREATE FUNCTION contact_views(p_tenant_id BIGINT, p_ids BIGINT[])
RETURNS TABLE (
    id BIGINT, created_at BIGINT, updated_at BIGINT, status TEXT, first_name TEXT,
    last_name TEXT, email TEXT, phone_1 TEXT, phone_2 TEXT, full_name TEXT,
    receiving_bank_name TEXT, receiving_bank_address TEXT, primary_company_id BIGINT,
    has_portal_login BOOLEAN, companies TEXT, tags TEXT
)
LANGUAGE plpgsql STABLE
-- One plan for any ids: the planner estimates a one-id array cheaper with a plan of its own and
-- would plan every call again (plan_cache_mode = auto); the generic plan is the one it makes
-- anyway (the primary key per id, each link, each tag).
SET plan_cache_mode = force_generic_plan
AS $contact_views$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.id, c.created_at, c.updated_at, c.status, c.first_name, c.last_name, c.email, c.phone_1, c.phone_2, c.full_name, c.receiving_bank_name, c.receiving_bank_address, c.primary_company_id, EXISTS (SELECT 1 FROM portal_logins pl WHERE pl.contact_id = c.id) AS has_portal_login, (SELECT json_agg(json_build_array(lk.company_id, co.name, lk.is_primary, lk.receive_quotation_pdf, lk.receive_purchase_order_pdf, lk.receive_purchase_order_invoice_pdf) ORDER BY lk.position)::text FROM contact_companies lk JOIN companies co ON co.id = lk.company_id WHERE lk.contact_id = c.id) AS companies, (SELECT json_agg(json_build_array(tg.id, tg.name, tg.description, tg.icon, tg.color) ORDER BY tg.name_key, tg.name, tg.id)::text FROM contact_tags l JOIN tags tg ON tg.id = l.tag_id WHERE l.contact_id = c.id) AS tags
    FROM unnest(p_ids) WITH ORDINALITY AS p(id, n)
    JOIN contacts c ON c.id = p.id
    WHERE c.tenant_id = p_tenant_id
    ORDER BY p.n;
END
$contact_views$;
