/**
 * The store: one SQLite connection and the repositories over its tables.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { coreMigrationsDir } from "../assets.js";
import { ChannelStore } from "./channels.js";
import { DATABASE_FILE, openDatabase, type Db } from "./db.js";
import { GroupStore } from "./groups.js";
import { MessageStore } from "./messages.js";
import { MetaStore } from "./meta.js";
import { migrate } from "./migrate.js";
import { OutboxStore } from "./outbox.js";
import { RunStore } from "./runs.js";
import { ToolCallStore } from "./tool-calls.js";
import { SessionStore } from "./sessions.js";

export class Store {
  readonly messages: MessageStore;
  readonly runs: RunStore;
  readonly sessions: SessionStore;
  readonly outbox: OutboxStore;
  readonly toolCalls: ToolCallStore;
  readonly groups: GroupStore;
  readonly channels: ChannelStore;
  readonly meta: MetaStore;

  /** Migrations applied while this process opened the store, `owner/name`; plugins' are added as they load. */
  readonly applied: string[] = [];

  // Built once: better-sqlite3 builds several wrapper functions per db.transaction() call.
  private readonly inTransaction: (fn: () => unknown) => unknown;

  private constructor(readonly db: Db, readonly file: string) {
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    this.messages = new MessageStore(db);
    this.runs = new RunStore(db);
    this.sessions = new SessionStore(db);
    this.outbox = new OutboxStore(db);
    this.toolCalls = new ToolCallStore(db);
    this.groups = new GroupStore(db);
    this.channels = new ChannelStore(db);
    this.meta = new MetaStore(db);
  }

  /** Opens the database in `dataDir` and applies the core migrations. */
  static async open(dataDir: string, log: Logger): Promise<Store> {
    const file = join(dataDir, DATABASE_FILE);
    const db = openDatabase(file);
    try {
      const applied = await migrate(db, { owner: "core", dir: coreMigrationsDir() }, log);
      const store = new Store(db, file);
      store.applied.push(...applied.map((name) => `core/${name}`));
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Runs `fn` in one transaction; a nested call becomes a savepoint of the outer one. */
  transaction<R>(fn: () => R): R {
    return this.inTransaction(fn) as R;
  }

  /** True when the database answers a trivial query; `/health` reports 503 otherwise. */
  healthy(): boolean {
    try {
      this.db.prepare("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export type { Db } from "./db.js";
export { BUSY_TIMEOUT_MS, openDatabase, isBusyError } from "./db.js";
