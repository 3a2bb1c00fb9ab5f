-- Accounts at sign-in providers (GitHub, Google, Discord, Telegram, …) linked to users:
-- signing in with one signs in its user. `subject` is the provider's stable account id.
CREATE TABLE user_identities (
  provider    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
