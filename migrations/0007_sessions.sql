-- Browser sessions (POST /api/session, worker/db/sessions.ts). The cookie qc_session holds an
-- opaque random id; only its SHA-256 is stored, so a copy of this table opens no session. A row
-- carries the claims of the token that started it and ends with that token (expires_at = its exp)
-- or when DELETE /api/session deletes it. key_tag ties it to the JWT secret that verified the token:
-- once that secret is rotated out, its sessions end too. Expired rows are deleted as sessions are
-- started (bounded) and when one is presented.
CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY NOT NULL, -- base64url SHA-256 of the cookie's id
  sub         TEXT NOT NULL,
  role        TEXT NOT NULL,
  name        TEXT,
  categories  TEXT,                      -- JSON array of the token's scope; NULL = no scope
  token_iat   INTEGER,                   -- the token's iat, s
  expires_at  INTEGER NOT NULL,          -- the token's exp, s since epoch
  key_tag     TEXT NOT NULL,             -- a fingerprint of the JWT secret that verified the token (never the secret)
  created_at  INTEGER NOT NULL           -- ms since epoch
) STRICT;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_sub ON sessions (sub, created_at);
