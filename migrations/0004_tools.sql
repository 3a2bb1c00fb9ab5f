-- A file to send with an outbox row (JSON: path, name, mime, size); its text is the caption.
ALTER TABLE outbox ADD COLUMN file TEXT;

-- Every MCP tool call of an agent run, allowed or not, for the dashboard and audits.
CREATE TABLE tool_calls (
  id             TEXT PRIMARY KEY,
  run_id         TEXT NOT NULL,
  group_folder   TEXT NOT NULL,
  tool           TEXT NOT NULL,
  -- sha256 of the arguments as JSON: shows repeats without keeping message text.
  params_digest  TEXT NOT NULL,
  verdict        TEXT NOT NULL CHECK (verdict IN ('ok', 'error', 'denied', 'invalid', 'timeout', 'unknown')),
  -- The deny reason or error message; null for a successful call.
  error          TEXT,
  duration_ms    INTEGER NOT NULL,
  created_at     INTEGER NOT NULL
);
CREATE INDEX tool_calls_run ON tool_calls (run_id);
CREATE INDEX tool_calls_group ON tool_calls (group_folder, created_at);

-- Limits a group's agent set on itself or a group below it (`set_grants`): checked as an
-- extra layer, so they can only narrow what the group and its subtree may do.
CREATE TABLE group_grant_limits (
  group_folder  TEXT PRIMARY KEY,
  -- JSON array of rule strings, each valid when stored.
  rules         TEXT NOT NULL,
  set_by        TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);
