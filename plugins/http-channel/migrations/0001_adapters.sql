-- Adapters registered over HTTP. The session token is kept as its SHA-256, so the
-- database alone cannot be used to deliver messages, and it survives restarts.
CREATE TABLE http_channel_adapters (
  name          TEXT PRIMARY KEY,
  url           TEXT NOT NULL,
  -- JSON array of the adapter's JID prefixes as it sends them, e.g. ["telegram:"].
  jid_prefixes  TEXT NOT NULL,
  account       TEXT NOT NULL,
  -- JSON object of capability flags as the adapter declared them, e.g. {"send_text":true}.
  capabilities  TEXT NOT NULL,
  token_sha256  TEXT NOT NULL UNIQUE,
  registered_at INTEGER NOT NULL
);
