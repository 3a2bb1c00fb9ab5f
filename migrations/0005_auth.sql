-- People who sign in to the web chat, the dashboard and the HTTP API. Usernames are
-- unique regardless of case; the password is an argon2id hash (PHC string).
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash  TEXT,
  role           TEXT NOT NULL CHECK (role IN ('user', 'operator')),
  created_at     INTEGER NOT NULL
);

-- Refresh tokens, stored as sha256 digests. Each sign-in starts a family; a refresh
-- uses one token and issues the next of its family. A used token presented again
-- means it was copied, so its whole family is revoked.
CREATE TABLE refresh_tokens (
  digest       TEXT PRIMARY KEY,
  family       TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
