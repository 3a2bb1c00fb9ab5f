/**
 * Agent sessions, one per (group, chat, topic) unit: the harness session id to resume
 * and the highest message seq any run of the unit has seen.
 */
import type { RunUnit } from "@arizuko/sdk";
import type { Db } from "./db.js";

export interface SessionRecord {
  sessionId: string | null;
  lastSeq: number;
}

export class SessionStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare("SELECT session_id, last_seq FROM sessions WHERE group_folder = ? AND chat = ? AND topic = ?"),
      setSession: db.prepare(
        `INSERT INTO sessions (group_folder, chat, topic, session_id, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_folder, chat, topic) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`,
      ),
      clear: db.prepare("UPDATE sessions SET session_id = NULL, updated_at = ? WHERE chat = ? AND topic = ? AND session_id IS NOT NULL"),
      forChat: db.prepare("SELECT group_folder AS \"group\", chat, topic, session_id FROM sessions WHERE chat = ? ORDER BY topic, group_folder"),
      advance: db.prepare(
        `INSERT INTO sessions (group_folder, chat, topic, last_seq, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_folder, chat, topic) DO UPDATE SET last_seq = max(sessions.last_seq, excluded.last_seq),
           updated_at = excluded.updated_at`,
      ),
    };
  }

  /** The sessions of every unit of `chat`. */
  forChat(chat: string): Array<RunUnit & { session_id: string | null }> {
    return this.statements.forChat.all(chat) as Array<RunUnit & { session_id: string | null }>;
  }

  get(unit: RunUnit): SessionRecord {
    const row = this.statements.get.get(unit.group, unit.chat, unit.topic) as
      | { session_id: string | null; last_seq: number }
      | undefined;
    return { sessionId: row?.session_id ?? null, lastSeq: row?.last_seq ?? 0 };
  }

  setSession(unit: RunUnit, sessionId: string, now: number): void {
    this.statements.setSession.run(unit.group, unit.chat, unit.topic, sessionId, now);
  }

  /** Forgets the harness session of every unit of `chat` and `topic`: the next run starts fresh. */
  clear(chat: string, topic: string, now: number): number {
    return this.statements.clear.run(now, chat, topic).changes;
  }

  /** Records that a run of the unit has seen messages up to `seq`. */
  advance(unit: RunUnit, seq: number, now: number): void {
    this.statements.advance.run(unit.group, unit.chat, unit.topic, seq, now);
  }
}
