-- Rolodex schema, SQLite, part 10: the search index merges its segments only when the server
-- asks it to, in steps of bounded size.
--
-- FTS5's automatic merging runs inside the write that triggers it, and its work is not bounded by
-- that write: a batch of 128 contacts re-indexed could carry 60-90 ms of merge work (rewriting a
-- level whose tombstones passed 'deletemerge'), and hold the one writer, every request's write
-- waiting behind it. With automerge off, the indexer follows each batch with a 'merge' step of
-- a fixed number of output pages in its own transaction (store::contacts::merge_search_index):
-- the same merging overall, a few ms at a time. FTS5 keeps the setting in contacts_search_config.
INSERT INTO contacts_search (contacts_search, rank) VALUES ('automerge', 0);
