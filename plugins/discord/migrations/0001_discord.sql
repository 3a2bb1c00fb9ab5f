-- The newest stored message of each channel a bot has seen, so that at start the bot
-- fetches what was posted while arizuko was down: Discord's gateway does not keep
-- events for a client that is gone.
CREATE TABLE discord_cursors (
  bot_id      TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (bot_id, channel_id)
);
