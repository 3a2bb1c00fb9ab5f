/**
 * Opens the SQLite store. Every connection the product opens goes through here, so
 * every one waits for a lock instead of failing at once (`busy_timeout`).
 */
import Database from "better-sqlite3";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Db = Database.Database;

/**
 * How long a statement waits for another writer's lock before SQLITE_BUSY. Long
 * enough to ride out a CLI command or a checkpoint; callers retry beyond it.
 */
export const BUSY_TIMEOUT_MS = 5000;

export const DATABASE_FILE = "arizuko.db";

/** Opens (creating if needed) the database at `file` with the store's pragmas. */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false });
  // The store contains password hashes and sealed sessions, so only its owner may read it. SQLite gives its
  // -wal and -shm files the database file's mode.
  if (!options.readonly && file !== ":memory:") chmodSync(file, 0o600);

  // WAL lets readers run beside the writer; NORMAL is durable across application
  // crashes (a power cut can lose the last transactions, never corrupt the file).
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!options.readonly) db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  return db;
}

/** Locked-database errors met after the busy timeout in this process; /metrics reports the count. */
let busyErrors = 0;

/** Counts one locked-database error that a caller is about to retry or respond to with 503. */
export function noteBusy(): void {
  busyErrors += 1;
}

export function busyCount(): number {
  return busyErrors;
}

/** True for SQLite's "database is locked" family of errors, which are worth retrying. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
}
