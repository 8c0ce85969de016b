-- An update of one contact's phone_1 as the server sends it in the default --postgres-pooler transaction mode (round trips: BEGIN .. lock-read; UPDATE; COMMIT; the answer's read-only transaction).
-- Replays PostgreSQL's side of POST /contacts/{id} (docs/performance.md, issue 14's ninth round):
-- pgbench -n -M extended -c 16 -j 2 -T 6 -f bench/pgbench/update-as-sent.sql <a copy of a seeded 100k bench database>
\set id random(1, 100000)
\set ph random(1, 1000000000)
\set now random(1, 1000000000)
\startpipeline
BEGIN ISOLATION LEVEL READ COMMITTED;
SET LOCAL statement_timeout = 5000;
SELECT pg_advisory_xact_lock_shared(6071978197602271233);
SELECT c.first_name, c.last_name, c.email, c.phone_1, c.phone_2, c.receiving_bank_name, c.receiving_bank_address, c.primary_company_id, (SELECT pl.email FROM portal_logins pl WHERE pl.contact_id = c.id) AS login_email FROM contacts c WHERE c.tenant_id = 1 AND c.id = :id FOR UPDATE OF c;
\endpipeline
UPDATE contacts SET phone_1 = :ph, updated_at = :now WHERE id = :id;
COMMIT;
\startpipeline
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL statement_timeout = 5000;
SELECT * FROM contact_views(1, ARRAY[:id]::bigint[]);
COMMIT;
\endpipeline
