-- Core schema. Timestamps are milliseconds since the Unix epoch.

-- Instance facts: the store's epoch, first-run seeding.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Agent groups. A group is a folder under the data folder's groups/ with its own
-- persona and memory; the breaker columns pause it after consecutive failed runs.
CREATE TABLE groups (
  folder          TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  breaker         TEXT NOT NULL DEFAULT 'closed' CHECK (breaker IN ('closed', 'open', 'half_open')),
  failure_streak  INTEGER NOT NULL DEFAULT 0,
  -- When an open breaker turns half-open.
  breaker_until   INTEGER
);

CREATE TABLE chats (
  jid         TEXT PRIMARY KEY,
  platform    TEXT NOT NULL,
  name        TEXT,
  created_at  INTEGER NOT NULL
);

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  group_folder  TEXT NOT NULL,
  chat          TEXT NOT NULL,
  topic         TEXT NOT NULL DEFAULT '',
  -- 1 for a first attempt; 2 for the single retry of a batch whose run failed having delivered nothing.
  attempt       INTEGER NOT NULL DEFAULT 1,
  retry_of      TEXT,
  state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'timed_out', 'stopped', 'abandoned')),
  runner        TEXT NOT NULL,
  -- Process id of the agent runner (process runner), for orphan clean-up after a crash.
  pid           INTEGER,
  session_id    TEXT,
  -- Replies the run stored for delivery; a run that delivered something is never retried.
  delivered     INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  -- JSON of the run's last usage frame.
  usage         TEXT,
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER
);
CREATE INDEX runs_running ON runs (id) WHERE state = 'running';
CREATE INDEX runs_unit ON runs (group_folder, chat, topic, started_at);

-- Every message in and out, in one total order (seq). Inbound rows are unique on
-- (chat, platform_id, kind) so a redelivered event is stored once; an edit or a
-- reaction is its own row with a per-event platform id, pointing at the original
-- through target.
CREATE TABLE messages (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Random, so unique without an index of its own; rows are found by seq.
  id            TEXT NOT NULL,
  chat          TEXT NOT NULL REFERENCES chats (jid),
  platform_id   TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('message', 'edit', 'reaction', 'notice')),
  direction     TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  verb          TEXT,
  sender        TEXT NOT NULL,
  sender_name   TEXT,
  text          TEXT NOT NULL,
  topic         TEXT NOT NULL DEFAULT '',
  reply_to      TEXT,
  target        TEXT,
  -- JSON array of attachments; null when there are none.
  attachments   TEXT,
  -- pending → running → done | failed; context rows are stored only and never queued.
  -- An inbound row is pending with route_layer NULL until intake has decided its fate.
  state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'context')),
  group_folder  TEXT,
  -- Topic of the (group, chat, topic) unit the row was routed to; the platform thread
  -- (topic) unless routing chose another.
  route_topic   TEXT,
  run_id        TEXT REFERENCES runs (id),
  route_layer   TEXT,
  route_reason  TEXT,
  -- JSON array of enrichment notes.
  notes         TEXT,
  ts            INTEGER NOT NULL,
  stored_at     INTEGER NOT NULL,
  UNIQUE (chat, platform_id, kind)
);
CREATE INDEX messages_chat_seq ON messages (chat, seq);

-- seq starts at a random point between 10^9 and 10^10, so a client holding a seq (an
-- SSE event id) from another store, a deleted and recreated one say, never finds it
-- here by accident and gets a reset instead of a silent gap.
INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', 1000000000 + abs(random() % 9000000000));
-- Every index is one more page to write per message, so the list is short: the
-- partial ones hold only the rows a step is waiting for.
CREATE INDEX messages_unit_pending ON messages (group_folder, chat, route_topic, seq) WHERE state = 'pending';
CREATE INDEX messages_unrouted ON messages (seq) WHERE state = 'pending' AND route_layer IS NULL;
CREATE INDEX messages_run ON messages (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX messages_context ON messages (chat, route_topic, seq) WHERE state = 'context';

-- Agent sessions, one per (group, chat, topic) unit.
CREATE TABLE sessions (
  group_folder  TEXT NOT NULL,
  chat          TEXT NOT NULL,
  topic         TEXT NOT NULL DEFAULT '',
  session_id    TEXT,
  -- Highest message seq handed to a run of this unit; context rows after it are new.
  last_seq      INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (group_folder, chat, topic)
);

-- One row per platform message to send: queued → sending → delivered | failed.
CREATE TABLE outbox (
  -- Also the idempotency key of the send.
  id                   TEXT PRIMARY KEY,
  message_seq          INTEGER NOT NULL REFERENCES messages (seq),
  chat                 TEXT NOT NULL,
  topic                TEXT NOT NULL DEFAULT '',
  reply_to             TEXT,
  -- The original Markdown chunk; channels format it at send time.
  text                 TEXT NOT NULL,
  chunk_index          INTEGER NOT NULL,
  chunk_count          INTEGER NOT NULL,
  state                TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
  attempts             INTEGER NOT NULL DEFAULT 0,
  -- Earliest time of the next attempt (rate limits, backoff).
  not_before           INTEGER NOT NULL DEFAULT 0,
  platform_message_id  TEXT,
  error                TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX outbox_open ON outbox (chat, message_seq, chunk_index) WHERE state IN ('queued', 'sending');
CREATE INDEX outbox_platform_message ON outbox (chat, platform_message_id);
CREATE INDEX outbox_message ON outbox (message_seq);

-- Last reported health of each registered channel.
CREATE TABLE channels (
  name        TEXT PRIMARY KEY,
  plugin      TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('connecting', 'ok', 'stale', 'disconnected')),
  detail      TEXT,
  updated_at  INTEGER NOT NULL
);
