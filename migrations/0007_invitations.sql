-- One-time invitation links: whoever opens one first picks a username and password
-- and gets an account with the invitation's role. Stored as sha256 digests.
CREATE TABLE invitations (
  digest      TEXT PRIMARY KEY,
  role        TEXT NOT NULL CHECK (role IN ('user', 'operator')),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     TEXT REFERENCES users (id) ON DELETE SET NULL
);
