-- WhatsApp session state: Baileys' credentials (type 'creds') and Signal keys, one
-- row per entry, each sealed with AES-256-GCM under the configured authKey.
CREATE TABLE whatsapp_auth (
  account TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (account, type, id)
) WITHOUT ROWID;

-- Recent messages as Baileys gave them (sealed), for quoted replies, reactions,
-- media downloads and a recipient's request to send one again.
CREATE TABLE whatsapp_messages (
  account TEXT NOT NULL,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX whatsapp_messages_ts ON whatsapp_messages (account, ts);

-- The newest message time seen per chat: a message WhatsApp replays after a
-- reconnect that is older than it is stored as context only.
CREATE TABLE whatsapp_chats (
  account TEXT NOT NULL,
  chat TEXT NOT NULL,
  newest_ts INTEGER NOT NULL,
  PRIMARY KEY (account, chat)
) WITHOUT ROWID;
