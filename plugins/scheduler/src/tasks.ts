/**
 * The task store: `scheduler_tasks` and `scheduler_runs`. A due time is claimed by one
 * conditional UPDATE that moves `next_run_at` on, so of two schedulers (or two
 * processes on one database) that see the same due task, exactly one gets it.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { SenderRole } from "@arizuko/sdk";
import type { Schedule } from "./schedule.js";

export type TaskStatus = "active" | "paused" | "completed" | "failed";
export type ContextMode = "group" | "isolated";
export type RunState = "claimed" | "queued" | "running" | "done" | "failed" | "skipped" | "missed" | "withdrawn";

/** The fields of a new or edited task. */
export interface TaskSpec {
  group: string;
  chat: string;
  /** Platform thread the replies go to; `""` is the chat itself. */
  topic: string;
  prompt: string;
  schedule: Schedule;
  context: ContextMode;
}

export interface Task extends TaskSpec {
  id: string;
  status: TaskStatus;
  nextRunAt: number | null;
  creator: string;
  creatorRole: SenderRole;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TaskRun {
  id: number;
  taskId: string;
  dueAt: number;
  claimedAt: number;
  state: RunState;
  messageSeq: number | null;
  runId: string | null;
  startedAt: number | null;
  endedAt: number | null;
  error: string | null;
}

interface TaskRow {
  id: string;
  group_folder: string;
  chat: string;
  topic: string;
  prompt: string;
  schedule: string;
  context_mode: ContextMode;
  status: TaskStatus;
  next_run_at: number | null;
  creator: string;
  creator_role: SenderRole;
  error: string | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: number;
  task_id: string;
  due_at: number;
  claimed_at: number;
  state: RunState;
  message_seq: number | null;
  run_id: string | null;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
}

/** Run states that still wait for an agent run to end. */
export const OPEN_STATES: RunState[] = ["claimed", "queued", "running"];

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    group: row.group_folder,
    chat: row.chat,
    topic: row.topic,
    prompt: row.prompt,
    schedule: JSON.parse(row.schedule) as Schedule,
    context: row.context_mode,
    status: row.status,
    nextRunAt: row.next_run_at,
    creator: row.creator,
    creatorRole: row.creator_role,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRun(row: RunRow): TaskRun {
  return {
    id: row.id,
    taskId: row.task_id,
    dueAt: row.due_at,
    claimedAt: row.claimed_at,
    state: row.state,
    messageSeq: row.message_seq,
    runId: row.run_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
  };
}

export function newTaskId(): string {
  return `tsk_${randomBytes(6).toString("hex")}`;
}

export class TaskStore {
  private readonly statements;

  constructor(private readonly db: Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO scheduler_tasks (id, group_folder, chat, topic, prompt, schedule, context_mode, status, next_run_at,
           creator, creator_role, created_at, updated_at)
         VALUES (@id, @group, @chat, @topic, @prompt, @schedule, @context, 'active', @nextRunAt, @creator, @creatorRole, @now, @now)`,
      ),
      get: db.prepare("SELECT * FROM scheduler_tasks WHERE id = ?"),
      all: db.prepare("SELECT * FROM scheduler_tasks ORDER BY created_at, id"),
      due: db.prepare("SELECT * FROM scheduler_tasks WHERE status = 'active' AND next_run_at <= ? ORDER BY next_run_at, id"),
      nextDue: db.prepare("SELECT min(next_run_at) AS at FROM scheduler_tasks WHERE status = 'active'"),
      claim: db.prepare(
        `UPDATE scheduler_tasks SET next_run_at = @next, updated_at = @now
         WHERE id = @id AND status = 'active' AND next_run_at = @due`,
      ),
      insertRun: db.prepare(
        `INSERT INTO scheduler_runs (task_id, due_at, claimed_at, state, error) VALUES (@taskId, @due, @now, @state, @error)
         ON CONFLICT (task_id, due_at) DO NOTHING RETURNING *`,
      ),
      edit: db.prepare(
        `UPDATE scheduler_tasks SET group_folder = @group, chat = @chat, topic = @topic, prompt = @prompt, schedule = @schedule,
           context_mode = @context, status = CASE WHEN status = 'paused' THEN 'paused' ELSE 'active' END,
           next_run_at = @nextRunAt, error = NULL, updated_at = @now
         WHERE id = @id`,
      ),
      setStatus: db.prepare("UPDATE scheduler_tasks SET status = @status, next_run_at = @nextRunAt, error = @error, updated_at = @now WHERE id = @id"),
      remove: db.prepare("DELETE FROM scheduler_tasks WHERE id = ?"),
      removeRuns: db.prepare("DELETE FROM scheduler_runs WHERE task_id = ?"),
      openRuns: db.prepare(`SELECT * FROM scheduler_runs WHERE state IN ('claimed', 'queued', 'running') ORDER BY id`),
      openRunsOf: db.prepare(`SELECT * FROM scheduler_runs WHERE task_id = ? AND state IN ('claimed', 'queued', 'running') ORDER BY id`),
      runs: db.prepare("SELECT * FROM scheduler_runs WHERE task_id = ? ORDER BY due_at DESC, id DESC LIMIT ?"),
      queued: db.prepare("UPDATE scheduler_runs SET state = 'queued', message_seq = ? WHERE id = ? AND state IN ('claimed', 'queued')"),
      running: db.prepare("UPDATE scheduler_runs SET state = 'running', run_id = ?, started_at = coalesce(started_at, ?) WHERE id = ? AND state IN ('claimed', 'queued', 'running')"),
      finish: db.prepare(
        `UPDATE scheduler_runs SET state = @state, run_id = coalesce(@runId, run_id), ended_at = @now, error = @error
         WHERE id = @id AND state IN ('claimed', 'queued', 'running')`,
      ),
    };
  }

  create(spec: TaskSpec, creator: { name: string; role: SenderRole }, nextRunAt: number | null, now: number): Task {
    const id = newTaskId();
    this.statements.insert.run({
      id,
      group: spec.group,
      chat: spec.chat,
      topic: spec.topic,
      prompt: spec.prompt,
      schedule: JSON.stringify(spec.schedule),
      context: spec.context,
      nextRunAt,
      creator: creator.name,
      creatorRole: creator.role,
      now,
    });
    return this.get(id)!;
  }

  get(id: string): Task | null {
    const row = this.statements.get.get(id) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  list(): Task[] {
    return (this.statements.all.all() as TaskRow[]).map(toTask);
  }

  /** Active tasks due at `now`, the longest overdue first. */
  due(now: number): Task[] {
    return (this.statements.due.all(now) as TaskRow[]).map(toTask);
  }

  /** Returns the earliest due time of an active task, or null. */
  nextDue(): number | null {
    return (this.statements.nextDue.get() as { at: number | null }).at;
  }

  /**
   * Claims `task`'s due time: moves `next_run_at` to `next` and records a run row in
   * `state`, in one transaction. Returns the row, or null when another scheduler
   * claimed this time first or the task stopped being active.
   */
  claim(task: Task, next: number | null, state: "claimed" | "skipped" | "missed", error: string | null, now: number): TaskRun | null {
    return this.db.transaction(() => {
      const moved = this.statements.claim.run({ id: task.id, due: task.nextRunAt, next, now }).changes === 1;
      if (!moved) return null;
      const row = this.statements.insertRun.get({ taskId: task.id, due: task.nextRunAt, now, state, error }) as RunRow | undefined;
      return row ? toRun(row) : null;
    }).immediate();
  }

  edit(id: string, spec: TaskSpec, nextRunAt: number | null, now: number): void {
    this.statements.edit.run({ id, group: spec.group, chat: spec.chat, topic: spec.topic, prompt: spec.prompt, schedule: JSON.stringify(spec.schedule), context: spec.context, nextRunAt, now });
  }

  setStatus(id: string, status: TaskStatus, nextRunAt: number | null, error: string | null, now: number): void {
    this.statements.setStatus.run({ id, status, nextRunAt, error, now });
  }

  remove(id: string): void {
    this.db.transaction(() => {
      this.statements.removeRuns.run(id);
      this.statements.remove.run(id);
    })();
  }

  /** Runs still waiting for their agent run to end, of every task or of one. */
  openRuns(taskId?: string): TaskRun[] {
    const rows = taskId === undefined ? this.statements.openRuns.all() : this.statements.openRunsOf.all(taskId);
    return (rows as RunRow[]).map(toRun);
  }

  /** Returns the task's runs, newest first. */
  runs(taskId: string, limit: number): TaskRun[] {
    return (this.statements.runs.all(taskId, limit) as RunRow[]).map(toRun);
  }

  markQueued(runId: number, messageSeq: number): void {
    this.statements.queued.run(messageSeq, runId);
  }

  markRunning(runId: number, agentRunId: string, now: number): void {
    this.statements.running.run(agentRunId, now, runId);
  }

  finish(runId: number, state: "done" | "failed" | "withdrawn", agentRunId: string | null, error: string | null, now: number): boolean {
    return this.statements.finish.run({ id: runId, state, runId: agentRunId, error, now }).changes === 1;
  }
}
