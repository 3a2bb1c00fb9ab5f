-- The next update each bot asks Telegram for: moved past an update only after its
-- message is stored, so a restart neither replays nor loses updates.
CREATE TABLE telegram_offsets (
  bot_id      TEXT PRIMARY KEY,
  next_update INTEGER NOT NULL
);
