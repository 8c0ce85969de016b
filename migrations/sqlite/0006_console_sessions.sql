-- Rolodex schema, SQLite, part 6: the web console's sessions (/console).
-- A session is opened with an API token and ends with it: `token_id` cascades, and every lookup
-- also requires the token to be live, so revoking the token ends its sessions at once. The
-- session id lives only in the browser's cookie; the database keeps its SHA-256.

CREATE TABLE console_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_id      INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    session_hash  TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie's session id, hex
    csrf_token    TEXT NOT NULL,          -- carried by every form of the session
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
CREATE INDEX console_sessions_token ON console_sessions (token_id);
