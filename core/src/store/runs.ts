/**
 * The runs table and the link between a run and the messages it took. A message is
 * taken by at most one live run: claiming sets `running` and the run id together.
 */
import type { RunOutcome, RunUnit } from "@arizuko/sdk";
import type { Db } from "./db.js";

export type RunState = "running" | RunOutcome;

export interface RunRecord {
  id: string;
  unit: RunUnit;
  attempt: number;
  retryOf: string | null;
  state: RunState;
  runner: string;
  pid: number | null;
  sessionId: string | null;
  delivered: number;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
}

interface RunRow {
  id: string;
  group_folder: string;
  chat: string;
  topic: string;
  attempt: number;
  retry_of: string | null;
  state: RunState;
  runner: string;
  pid: number | null;
  session_id: string | null;
  delivered: number;
  error: string | null;
  started_at: number;
  ended_at: number | null;
}

export interface NewRun {
  id: string;
  unit: RunUnit;
  attempt: number;
  retryOf: string | null;
  runner: string;
  /** The harness the group's profile names. */
  harness: string | null;
  sessionId: string | null;
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    unit: { group: row.group_folder, chat: row.chat, topic: row.topic },
    attempt: row.attempt,
    retryOf: row.retry_of,
    state: row.state,
    runner: row.runner,
    pid: row.pid,
    sessionId: row.session_id,
    delivered: row.delivered,
    error: row.error,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

export class RunStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO runs (id, group_folder, chat, topic, attempt, retry_of, state, runner, harness, session_id, started_at)
         VALUES (@id, @group_folder, @chat, @topic, @attempt, @retry_of, 'running', @runner, @harness, @session_id, @started_at)`,
      ),
      claim: db.prepare(
        `UPDATE messages SET state = 'running', run_id = ?
         WHERE seq IN (SELECT value FROM json_each(?)) AND direction = 'in'`,
      ),
      get: db.prepare("SELECT * FROM runs WHERE id = ?"),
      running: db.prepare("SELECT * FROM runs WHERE state = 'running' ORDER BY started_at"),
      setPid: db.prepare("UPDATE runs SET pid = ? WHERE id = ?"),
      setSession: db.prepare("UPDATE runs SET session_id = ? WHERE id = ?"),
      setUsage: db.prepare("UPDATE runs SET usage = ? WHERE id = ?"),
      delivered: db.prepare("UPDATE runs SET delivered = delivered + 1 WHERE id = ?"),
      finish: db.prepare("UPDATE runs SET state = ?, error = ?, ended_at = ? WHERE id = ? AND state = 'running'"),
      settleMessages: db.prepare(
        "UPDATE messages SET state = ? WHERE run_id = ? AND direction = 'in' AND state = 'running'",
      ),
      releaseMessages: db.prepare(
        "UPDATE messages SET state = 'pending', run_id = NULL WHERE run_id = ? AND direction = 'in' AND state = 'running'",
      ),
      releaseSeqs: db.prepare(
        `UPDATE messages SET state = 'pending', run_id = NULL
         WHERE seq IN (SELECT value FROM json_each(?)) AND direction = 'in' AND state = 'running'`,
      ),
    };
  }

  /** Creates a run and claims `seqs` for it; call inside a transaction. */
  create(run: NewRun, seqs: number[], now: number): void {
    this.statements.insert.run({
      id: run.id,
      group_folder: run.unit.group,
      chat: run.unit.chat,
      topic: run.unit.topic,
      attempt: run.attempt,
      retry_of: run.retryOf,
      runner: run.runner,
      harness: run.harness,
      session_id: run.sessionId,
      started_at: now,
    });
    this.statements.claim.run(run.id, JSON.stringify(seqs));
  }

  get(id: string): RunRecord | null {
    const row = this.statements.get.get(id) as RunRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Runs still marked running; after a restart these are the dead ones. */
  running(): RunRecord[] {
    return (this.statements.running.all() as RunRow[]).map(toRecord);
  }

  setPid(id: string, pid: number): void {
    this.statements.setPid.run(pid, id);
  }

  setSession(id: string, sessionId: string): void {
    this.statements.setSession.run(sessionId, id);
  }

  setUsage(id: string, usage: unknown): void {
    this.statements.setUsage.run(JSON.stringify(usage), id);
  }

  countDelivered(id: string): void {
    this.statements.delivered.run(id);
  }

  /** Ends a running run; returns false if it had already ended. */
  finish(id: string, state: RunOutcome, error: string | null, now: number): boolean {
    return this.statements.finish.run(state, error, now, id).changes > 0;
  }

  /** Sets the final state of the messages a run took. */
  settleMessages(runId: string, state: "done" | "failed"): void {
    this.statements.settleMessages.run(state, runId);
  }

  /** Claims more messages for a running run (steering). */
  claimInto(runId: string, seqs: number[]): void {
    this.statements.claim.run(runId, JSON.stringify(seqs));
  }

  /** Returns some of a run's messages to `pending` (steers the agent did not take). */
  releaseSeqs(seqs: number[]): number {
    return this.statements.releaseSeqs.run(JSON.stringify(seqs)).changes;
  }

  /** Returns a dead run's messages to `pending`, so they run again. */
  releaseMessages(runId: string): number {
    return this.statements.releaseMessages.run(runId).changes;
  }
}
