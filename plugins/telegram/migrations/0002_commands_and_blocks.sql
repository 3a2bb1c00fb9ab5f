-- The digest of the command list each bot last gave Telegram (setMyCommands), so it is
-- sent again only when the list changed.
CREATE TABLE telegram_commands (
  bot_id TEXT PRIMARY KEY,
  digest TEXT NOT NULL
);

-- Chats where Telegram refused the bot for good (blocked, kicked), with its reason;
-- a chat leaves this table when a message from it arrives again.
CREATE TABLE telegram_blocked_chats (
  bot_id  TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  reason  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  PRIMARY KEY (bot_id, chat_id)
);
