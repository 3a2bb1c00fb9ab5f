/**
 * Deleting stored messages and run records, for the retention prune and the purge and
 * erase commands. Each delete takes every row that points at what it removes, so
 * nothing dangles: a message goes with its outbox rows, a run with its tool calls,
 * and messages a removed run took keep their row with `run_id` cleared.
 *
 * Must hold: a message still pending or running, or with an outbox row still queued
 * or sending, is never deleted here, because that would lose work the instance accepted.
 * Callers check `openWork` first, or select through `removableMessages`.
 */
import type { Db } from "./db.js";

/** A message row as the purge needs it: where its media lives. */
export interface MessageRef {
  seq: number;
  chat: string;
  group: string | null;
  /** The `files` column: JSON of the enriched attachments, or null. */
  files: string | null;
  /** The `attachments` column: JSON of the attachments as the channel gave them, or null. */
  attachments: string | null;
  ts: number;
}

/** An ended run row as the prune needs it; `rowid` orders the scan. */
export interface RunRef {
  rowid: number;
  id: string;
  group: string;
  chat: string;
  topic: string;
  /** When the run ended, or started for a row without an end. */
  at: number;
}

/** The rows a purge takes: one chat, one group, or the messages of some senders. */
export type PurgeScope = { chat: string } | { group: string } | { senders: string[] };

/** Work that would be lost by deleting a scope's rows now. */
export interface OpenWork {
  runs: number;
  queued: number;
  outbox: number;
}

const MESSAGE_COLUMNS = "seq, chat, group_folder AS \"group\", files, attachments, ts";

/** A message with work in flight: waiting for or in a run, or a reply not yet delivered. */
const OPEN_MESSAGE = `(m.state IN ('pending', 'running') OR EXISTS (SELECT 1 FROM outbox o WHERE o.message_seq = m.seq AND o.state IN ('queued', 'sending')))`;

/** Returns the SQL condition on `messages m` and its parameters for a scope. */
function messageCondition(scope: PurgeScope): { sql: string; params: unknown[] } {
  if ("chat" in scope) return { sql: "(m.chat = ? OR m.origin_chat = ?)", params: [scope.chat, scope.chat] };
  if ("group" in scope) return { sql: "m.group_folder = ?", params: [scope.group] };
  return { sql: `m.sender IN (${scope.senders.map(() => "?").join(", ")})`, params: scope.senders };
}

function runCondition(scope: PurgeScope): { sql: string; params: unknown[] } | null {
  if ("chat" in scope) return { sql: "chat = ?", params: [scope.chat] };
  if ("group" in scope) return { sql: "group_folder = ?", params: [scope.group] };
  return null;
}

export class PurgeStore {
  private readonly statements;
  private readonly deleteMessageRows: (seqs: number[]) => { messages: number; outbox: number };
  private readonly deleteRunRows: (ids: string[]) => { runs: number; toolCalls: number };

  constructor(private readonly db: Db) {
    this.statements = {
      removable: db.prepare(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq > ? AND m.ts < ? AND NOT ${OPEN_MESSAGE} ORDER BY m.seq LIMIT ?`,
      ),
      withMedia: db.prepare(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq > ? AND m.ts < ? AND m.files IS NOT NULL AND instr(m.files, '"path":"') > 0 ORDER BY m.seq LIMIT ?`,
      ),
      endedRuns: db.prepare(
        `SELECT rowid, id, group_folder AS "group", chat, topic, coalesce(ended_at, started_at) AS at FROM runs
         WHERE rowid > ? AND state <> 'running' AND coalesce(ended_at, started_at) < ? ORDER BY rowid LIMIT ?`,
      ),
      setFiles: db.prepare("UPDATE messages SET files = ? WHERE seq = ?"),
      deleteOutbox: db.prepare("DELETE FROM outbox WHERE message_seq = ?"),
      deleteMessage: db.prepare("DELETE FROM messages WHERE seq = ?"),
      releaseRun: db.prepare("UPDATE messages SET run_id = NULL WHERE run_id = ?"),
      deleteToolCalls: db.prepare("DELETE FROM tool_calls WHERE run_id = ?"),
      deleteRun: db.prepare("DELETE FROM runs WHERE id = ?"),
    };
    this.deleteMessageRows = db.transaction((seqs: number[]) => {
      let outbox = 0;
      let messages = 0;
      for (const seq of seqs) {
        outbox += this.statements.deleteOutbox.run(seq).changes;
        messages += this.statements.deleteMessage.run(seq).changes;
      }
      return { messages, outbox };
    });
    this.deleteRunRows = db.transaction((ids: string[]) => {
      let toolCalls = 0;
      let runs = 0;
      for (const id of ids) {
        this.statements.releaseRun.run(id);
        toolCalls += this.statements.deleteToolCalls.run(id).changes;
        runs += this.statements.deleteRun.run(id).changes;
      }
      return { runs, toolCalls };
    });
  }

  /** Messages after `afterSeq` whose time is before `before` and that carry no open work, oldest first. */
  removableMessages(afterSeq: number, before: number, limit: number): MessageRef[] {
    return this.statements.removable.all(afterSeq, before, limit) as MessageRef[];
  }

  /** Messages after `afterSeq` whose time is before `before` and that still have a stored file. */
  messagesWithMedia(afterSeq: number, before: number, limit: number): MessageRef[] {
    return this.statements.withMedia.all(afterSeq, before, limit) as MessageRef[];
  }

  /** Runs that ended before `before`, after `afterRowid`, oldest first. */
  endedRuns(afterRowid: number, before: number, limit: number): RunRef[] {
    return this.statements.endedRuns.all(afterRowid, before, limit) as RunRef[];
  }

  /** Replaces a message's `files` column (JSON, or null). */
  setFiles(seq: number, files: string | null): void {
    this.statements.setFiles.run(files, seq);
  }

  /** Deletes messages and their outbox rows in one transaction; returns the counts. */
  deleteMessages(seqs: number[]): { messages: number; outbox: number } {
    return seqs.length === 0 ? { messages: 0, outbox: 0 } : this.deleteMessageRows(seqs);
  }

  /** Deletes runs and their tool calls in one transaction, clearing `run_id` on the messages they took. */
  deleteRuns(ids: string[]): { runs: number; toolCalls: number } {
    return ids.length === 0 ? { runs: 0, toolCalls: 0 } : this.deleteRunRows(ids);
  }

  /** Counts the runs in flight, messages waiting and replies undelivered in a scope. */
  openWork(scope: PurgeScope): OpenWork {
    const messages = messageCondition(scope);
    const runs = runCondition(scope);
    const queued = this.db.prepare(`SELECT count(*) AS n FROM messages m WHERE ${messages.sql} AND m.state IN ('pending', 'running')`).get(...messages.params) as { n: number };
    const outbox = this.db
      .prepare(`SELECT count(*) AS n FROM outbox o JOIN messages m ON m.seq = o.message_seq WHERE ${messages.sql} AND o.state IN ('queued', 'sending')`)
      .get(...messages.params) as { n: number };
    const running = runs ? (this.db.prepare(`SELECT count(*) AS n FROM runs WHERE ${runs.sql} AND state = 'running'`).get(...runs.params) as { n: number }) : { n: 0 };
    return { runs: running.n, queued: queued.n, outbox: outbox.n };
  }

  /** Returns every message of a scope, as the purge needs it, oldest first. */
  messagesIn(scope: PurgeScope): MessageRef[] {
    const condition = messageCondition(scope);
    return this.db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${condition.sql} ORDER BY m.seq`).all(...condition.params) as MessageRef[];
  }

  /** Returns every ended run of a chat or a group; a sender scope has no runs of its own. */
  runsIn(scope: PurgeScope): RunRef[] {
    const condition = runCondition(scope);
    if (!condition) return [];
    return this.db
      .prepare(`SELECT rowid, id, group_folder AS "group", chat, topic, coalesce(ended_at, started_at) AS at FROM runs WHERE ${condition.sql} AND state <> 'running' ORDER BY rowid`)
      .all(...condition.params) as RunRef[];
  }

  /** Deletes a chat's sessions and, once it has no messages left, its row in `chats`; returns the sessions deleted. */
  forgetChat(chat: string): number {
    return this.db.transaction(() => {
      const sessions = this.db.prepare("DELETE FROM sessions WHERE chat = ?").run(chat).changes;
      this.db.prepare("DELETE FROM chats WHERE jid = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE chat = ?)").run(chat, chat);
      return sessions;
    })();
  }

  /** Deletes the pairing codes and approvals of senders; returns how many rows went. */
  forgetSenders(senders: string[]): number {
    return this.db.transaction(() => {
      let rows = 0;
      for (const sender of senders) {
        rows += this.db.prepare("DELETE FROM pairings WHERE sender = ?").run(sender).changes;
        rows += this.db.prepare("DELETE FROM approved_senders WHERE sender = ?").run(sender).changes;
      }
      return rows;
    })();
  }

  /** Returns the pairing requests (without their codes) and approvals of senders, as the export writes them. */
  senderAdmission(senders: string[]): { pairings: unknown[]; approvals: unknown[] } {
    const list = senders.map(() => "?").join(", ");
    if (senders.length === 0) return { pairings: [], approvals: [] };
    return {
      pairings: this.db.prepare(`SELECT sender, platform, chat, created_at, expires_at, approved_at FROM pairings WHERE sender IN (${list})`).all(...senders),
      approvals: this.db.prepare(`SELECT * FROM approved_senders WHERE sender IN (${list})`).all(...senders),
    };
  }

  /** Returns every stored row of a scope's messages, as the export writes them. */
  messageRows(scope: PurgeScope): Array<Record<string, unknown>> {
    const condition = messageCondition(scope);
    return this.db.prepare(`SELECT * FROM messages m WHERE ${condition.sql} ORDER BY m.seq`).all(...condition.params) as Array<Record<string, unknown>>;
  }
}
