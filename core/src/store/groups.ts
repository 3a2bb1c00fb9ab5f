/**
 * The groups table: one row per agent group, with its circuit breaker. The breaker
 * opens after consecutive failed runs, turns half-open after a cooldown (one run
 * may try), and closes on the first success.
 */
import type { Db } from "./db.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface GroupRecord {
  folder: string;
  name: string;
  createdAt: number;
  breaker: BreakerState;
  failureStreak: number;
  breakerUntil: number | null;
}

interface GroupRow {
  folder: string;
  name: string;
  created_at: number;
  breaker: BreakerState;
  failure_streak: number;
  breaker_until: number | null;
}

function toRecord(row: GroupRow): GroupRecord {
  return {
    folder: row.folder,
    name: row.name,
    createdAt: row.created_at,
    breaker: row.breaker,
    failureStreak: row.failure_streak,
    breakerUntil: row.breaker_until,
  };
}

export class GroupStore {
  private readonly statements;
  /** Every group, read once and dropped on each write through this store; groups are few and read on every message. */
  private cache: Map<string, GroupRecord> | null = null;
  private readonly removeAll: (folder: string) => void;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare("INSERT INTO groups (folder, name, created_at) VALUES (?, ?, ?)"),
      list: db.prepare("SELECT * FROM groups ORDER BY folder"),
      failure: db.prepare(
        "UPDATE groups SET failure_streak = failure_streak + 1 WHERE folder = ? RETURNING failure_streak",
      ),
      success: db.prepare(
        "UPDATE groups SET failure_streak = 0, breaker = 'closed', breaker_until = NULL WHERE folder = ?",
      ),
      open: db.prepare("UPDATE groups SET breaker = 'open', breaker_until = ? WHERE folder = ?"),
      halfOpen: db.prepare("UPDATE groups SET breaker = 'half_open', breaker_until = NULL WHERE folder = ? AND breaker = 'open'"),
      rename: db.prepare("UPDATE groups SET name = ? WHERE folder = ?"),
      busy: db.prepare(
        `SELECT (SELECT count(*) FROM runs WHERE group_folder = @folder AND state = 'running') AS runs,
                (SELECT count(*) FROM messages WHERE group_folder = @folder AND state IN ('pending', 'running')) AS queued`,
      ),
      // user_groups rows go with the group through their foreign key.
      remove: [
        db.prepare("DELETE FROM group_grants WHERE group_folder = ?"),
        db.prepare("DELETE FROM group_grant_limits WHERE group_folder = ?"),
        db.prepare("DELETE FROM sessions WHERE group_folder = ?"),
        db.prepare("DELETE FROM groups WHERE folder = ?"),
      ],
    };
    this.removeAll = db.transaction((folder: string) => {
      for (const statement of this.statements.remove) statement.run(folder);
    });
  }

  private all(): Map<string, GroupRecord> {
    this.cache ??= new Map((this.statements.list.all() as GroupRow[]).map((row) => [row.folder, toRecord(row)]));
    return this.cache;
  }

  add(folder: string, name: string, now: number): void {
    this.cache = null;
    this.statements.insert.run(folder, name, now);
  }

  get(folder: string): GroupRecord | null {
    return this.all().get(folder) ?? null;
  }

  list(): GroupRecord[] {
    return [...this.all().values()];
  }

  rename(folder: string, name: string): boolean {
    this.cache = null;
    return this.statements.rename.run(name, folder).changes > 0;
  }

  /** Runs in flight and messages queued for the group: work a removal would strand. */
  busy(folder: string): { runs: number; queued: number } {
    return this.statements.busy.get({ folder }) as { runs: number; queued: number };
  }

  /** Deletes the group's row with its grants, limits and sessions, in one transaction. */
  remove(folder: string): void {
    this.cache = null;
    this.removeAll(folder);
  }

  /** Counts a failed run; returns the consecutive failures so far. */
  recordFailure(folder: string): number {
    this.cache = null;
    const row = this.statements.failure.get(folder) as { failure_streak: number } | undefined;
    return row?.failure_streak ?? 0;
  }

  /** A run succeeded (or an operator resumed the group): closes the breaker. */
  reset(folder: string): void {
    this.cache = null;
    this.statements.success.run(folder);
  }

  open(folder: string, until: number): void {
    this.cache = null;
    this.statements.open.run(until, folder);
  }

  halfOpen(folder: string): boolean {
    this.cache = null;
    return this.statements.halfOpen.run(folder).changes > 0;
  }
}
