-- Per-chat pins: the group (`@folder`) and the topic (`#name`) the chat's messages go to.
-- A NULL column is not pinned.
CREATE TABLE route_sticky_pins (
  chat          TEXT PRIMARY KEY,
  group_folder  TEXT,
  topic         TEXT,
  updated_at    INTEGER NOT NULL
);
