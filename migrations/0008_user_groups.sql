-- Which groups each user may use in the web chat (and, later, see in the dashboard).
-- Operators may use every group without rows here. A link names one folder exactly,
-- not its subtree. A removed group keeps no links.
CREATE TABLE user_groups (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  folder      TEXT NOT NULL REFERENCES groups (folder) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, folder)
);
CREATE INDEX user_groups_folder ON user_groups (folder);
