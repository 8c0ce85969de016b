-- The UPDATE statement alone, autocommit: nothing read before it, nothing answered.
-- Replays PostgreSQL's side of POST /contacts/{id} (docs/performance.md, issue 14's ninth round):
-- pgbench -n -M extended -c 16 -j 2 -T 6 -f bench/pgbench/update-statement-alone.sql <a copy of a seeded 100k bench database>
\set id random(1, 100000)
\set ph random(1, 1000000000)
\set now random(1, 1000000000)
UPDATE contacts SET phone_1 = :ph, updated_at = :now WHERE id = :id;
