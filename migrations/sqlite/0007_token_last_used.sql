-- Rolodex schema, SQLite, part 7: when each API token was last used, coarsely (written at most
-- about once a minute per token, off the request's path: see service/tokens.rs). NULL: not
-- used since this column exists.
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
