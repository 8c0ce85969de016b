-- The same with the UPDATE sent in the answer's round trip too (tried, not landed).
-- Replays PostgreSQL's side of POST /contacts/{id} (docs/performance.md, issue 14's ninth round):
-- pgbench -n -M extended -c 16 -j 2 -T 6 -f bench/pgbench/update-in-two-trips.sql <a copy of a seeded 100k bench database>
\set id random(1, 100000)
\set ph random(1, 1000000000)
\set now random(1, 1000000000)
\startpipeline
BEGIN ISOLATION LEVEL READ COMMITTED;
SET LOCAL statement_timeout = 5000;
SELECT pg_advisory_xact_lock_shared(6071978197602271233);
SELECT c.first_name, c.last_name, c.email, c.phone_1, c.phone_2, c.receiving_bank_name, c.receiving_bank_address, c.primary_company_id, (SELECT pl.email FROM portal_logins pl WHERE pl.contact_id = c.id) AS login_email FROM contacts c WHERE c.tenant_id = 1 AND c.id = :id FOR UPDATE OF c;
\endpipeline
\startpipeline
UPDATE contacts SET phone_1 = :ph, updated_at = :now WHERE id = :id;
SELECT * FROM contact_views(1, ARRAY[:id]::bigint[]);
COMMIT;
\endpipeline
