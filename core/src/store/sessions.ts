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
      advance: db.prepare(
        `INSERT INTO sessions (group_folder, chat, topic, last_seq, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_folder, chat, topic) DO UPDATE SET last_seq = max(sessions.last_seq, excluded.last_seq),
           updated_at = excluded.updated_at`,
      ),
    };
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

  /** Records that a run of the unit has seen messages up to `seq`. */
  advance(unit: RunUnit, seq: number, now: number): void {
    this.statements.advance.run(unit.group, unit.chat, unit.topic, seq, now);
  }
}
