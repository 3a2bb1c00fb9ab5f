-- Routing and admission: text a routing layer left for the agent, delegation, direct
-- chats, pairing codes and approved senders.

-- Text the agent sees when a routing layer stripped a prefix (`#topic text`); null
-- when it is the message's own text.
ALTER TABLE messages ADD COLUMN route_text TEXT;
-- A delegated message: the chat, topic and message it came from, and how many
-- delegations deep it is (0 for a message from a person).
ALTER TABLE messages ADD COLUMN origin_chat TEXT;
ALTER TABLE messages ADD COLUMN origin_topic TEXT;
ALTER TABLE messages ADD COLUMN origin_message TEXT;
ALTER TABLE messages ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;

-- 1 for a one-to-one chat with the bot (where pairing codes may be sent).
ALTER TABLE chats ADD COLUMN direct INTEGER NOT NULL DEFAULT 0;

-- Pairing codes handed to strangers on platforms whose admission policy is `pairing`.
CREATE TABLE pairings (
  code         TEXT PRIMARY KEY,
  platform     TEXT NOT NULL,
  sender       TEXT NOT NULL,
  chat         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  approved_at  INTEGER
);
CREATE INDEX pairings_sender ON pairings (sender, created_at);

-- Senders an operator approved (a pairing code, or by hand).
CREATE TABLE approved_senders (
  sender       TEXT PRIMARY KEY,
  platform     TEXT NOT NULL,
  approved_at  INTEGER NOT NULL,
  source       TEXT NOT NULL
);
