-- Which visitor created each web chat; anyone else gets 404 for it.
CREATE TABLE web_chats (
  chat        TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
