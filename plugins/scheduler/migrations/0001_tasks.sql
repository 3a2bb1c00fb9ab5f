-- Scheduled tasks: a prompt a group runs in a chat on a schedule.
CREATE TABLE scheduler_tasks (
  id            TEXT PRIMARY KEY,
  group_folder  TEXT NOT NULL,
  chat          TEXT NOT NULL,
  -- Platform thread of the chat the replies go to; '' is the chat itself.
  topic         TEXT NOT NULL DEFAULT '',
  prompt        TEXT NOT NULL,
  -- JSON: {"kind":"cron","expression","zone"} | {"kind":"interval","everyMs","anchor"} | {"kind":"once","at"}.
  schedule      TEXT NOT NULL,
  -- group: the run joins the session of (group, chat, topic); isolated: a fresh session each run.
  context_mode  TEXT NOT NULL CHECK (context_mode IN ('group', 'isolated')),
  status        TEXT NOT NULL CHECK (status IN ('active', 'paused', 'completed', 'failed')),
  -- When the task is next due (ms since the epoch). It moves to the following time in the
  -- same statement that claims a due time, so a time is claimed once. Null when nothing is due.
  next_run_at   INTEGER,
  -- Who created it (`cli`, `user:<name>`, `group:<folder>`), and the role its runs act with.
  creator       TEXT NOT NULL,
  creator_role  TEXT NOT NULL CHECK (creator_role IN ('operator', 'member', 'guest')),
  -- Why the task failed, for status 'failed'.
  error         TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX scheduler_tasks_due ON scheduler_tasks (next_run_at) WHERE status = 'active';

-- One row per due time a scheduler claimed, and what became of it.
CREATE TABLE scheduler_runs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id      TEXT NOT NULL REFERENCES scheduler_tasks (id) ON DELETE CASCADE,
  -- The due time this row is for; unique per task, so a time never gets two rows.
  due_at       INTEGER NOT NULL,
  claimed_at   INTEGER NOT NULL,
  -- claimed → queued (its message is stored) → running → done | failed;
  -- skipped: the previous run was still going; missed: due during downtime, catch-up off;
  -- withdrawn: paused or deleted before a run took it.
  state        TEXT NOT NULL CHECK (state IN ('claimed', 'queued', 'running', 'done', 'failed', 'skipped', 'missed', 'withdrawn')),
  message_seq  INTEGER,
  run_id       TEXT,
  started_at   INTEGER,
  ended_at     INTEGER,
  error        TEXT,
  UNIQUE (task_id, due_at)
);
CREATE INDEX scheduler_runs_open ON scheduler_runs (task_id) WHERE state IN ('claimed', 'queued', 'running');
