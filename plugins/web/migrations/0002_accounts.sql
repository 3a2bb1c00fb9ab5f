-- Web chats of signed-in users and share-link visitors are bound to one group; chats
-- of the open (visitor cookie) mode have no group and follow the route table.
ALTER TABLE web_chats ADD COLUMN group_folder TEXT;
-- The share link a visitor's chat was opened through; revoking the link closes the chat.
ALTER TABLE web_chats ADD COLUMN share_link TEXT;
CREATE INDEX web_chats_owner ON web_chats (owner);

-- Titles of a chat's topics; a topic's id is the thread its messages carry.
CREATE TABLE web_topics (
  chat        TEXT NOT NULL,
  topic       TEXT NOT NULL,
  title       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (chat, topic)
);

-- Files uploaded to a chat; the bytes live in <data>/web/files/<id>.
CREATE TABLE web_files (
  id          TEXT PRIMARY KEY,
  chat        TEXT NOT NULL,
  name        TEXT NOT NULL,
  mime        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX web_files_chat ON web_files (chat);

-- Share links: a public link to one group for anonymous visitors. Only the sha256 of
-- the token is kept; the link is shown once when it is made.
CREATE TABLE web_share_links (
  id            TEXT PRIMARY KEY,
  digest        TEXT NOT NULL UNIQUE,
  group_folder  TEXT NOT NULL,
  note          TEXT,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
