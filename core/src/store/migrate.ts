/**
 * Schema migrations through umzug, recorded per owner (`core` or a plugin name) in
 * one table, so plugins never collide and a plugin added to an existing database
 * gets its tables on the next start. Each migration and its record commit in one
 * transaction: a crash never leaves a half-applied or unrecorded migration.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { UmzugStorage } from "umzug";
import { isArizukoError } from "@arizuko/sdk";
import { errors } from "../errors.js";
import type { Db } from "./db.js";

export const MIGRATIONS_TABLE = "arizuko_migrations";

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

export interface MigrationSource {
  /** `core` or the plugin's name. */
  owner: string;
  dir: string;
  /** Required prefix of every table, index, view and trigger the migrations create (plugins only). */
  prefix?: string;
}

function ensureLedger(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    owner      TEXT NOT NULL,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (owner, name)
  )`);
}

class LedgerStorage implements UmzugStorage {
  constructor(private readonly db: Db, private readonly owner: string) {}

  // The record is written inside the migration's own transaction; this only covers
  // migrations that did not (none today), so it never duplicates.
  async logMigration({ name }: { name: string }): Promise<void> {
    this.db
      .prepare(`INSERT OR IGNORE INTO ${MIGRATIONS_TABLE} (owner, name, applied_at) VALUES (?, ?, ?)`)
      .run(this.owner, name, Date.now());
  }

  async unlogMigration({ name }: { name: string }): Promise<void> {
    this.db.prepare(`DELETE FROM ${MIGRATIONS_TABLE} WHERE owner = ? AND name = ?`).run(this.owner, name);
  }

  async executed(): Promise<string[]> {
    const rows = this.db
      .prepare(`SELECT name FROM ${MIGRATIONS_TABLE} WHERE owner = ? ORDER BY name`)
      .all(this.owner) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  }
}

/** Names of the schema's tables, indexes, views and triggers, SQLite's own excepted. */
function schemaObjects(db: Db): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as Array<{ name: string }>;
  return new Set(rows.map((row) => row.name));
}

function readMigrations(db: Db, source: MigrationSource) {
  if (!existsSync(source.dir)) return [];
  const files = readdirSync(source.dir).filter((file) => file.endsWith(".sql")).sort();
  const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (owner, name, applied_at) VALUES (?, ?, ?)`);

  return files.map((file) => {
    if (!MIGRATION_FILE.test(file)) throw errors.migrationName(source.owner, file);
    const path = join(source.dir, file);
    const sql = readFileSync(path, "utf8");

    // The prefix check reads what the file really created (virtual tables and their shadow
    // tables included) and throws inside the transaction, so a refused file leaves nothing.
    const apply = db.transaction(() => {
      const before = source.prefix ? schemaObjects(db) : null;
      db.exec(sql);
      if (before) {
        const foreign = [...schemaObjects(db)].find((name) => !before.has(name) && !name.startsWith(source.prefix!));
        if (foreign !== undefined) throw errors.migrationTable(source.owner, file, foreign, source.prefix!);
      }
      record.run(source.owner, file, Date.now());
    });
    return {
      name: file,
      path,
      up: async () => {
        try {
          apply();
        } catch (cause) {
          throw isArizukoError(cause) ? cause : errors.migrationFailed(source.owner, file, cause);
        }
      },
    };
  });
}

/** Applies the pending migrations of one owner; returns the names applied. Re-running is a no-op. */
export async function migrate(db: Db, source: MigrationSource, log: Logger): Promise<string[]> {
  ensureLedger(db);
  const migrations = readMigrations(db, source);
  const applied = new Set(await new LedgerStorage(db, source.owner).executed());
  if (migrations.every((migration) => applied.has(migration.name))) return [];

  // umzug is loaded only when something is pending: it costs about 100 ms of start-up.
  const { Umzug } = await import("umzug");
  const umzug = new Umzug({
    migrations,
    storage: new LedgerStorage(db, source.owner),
    logger: undefined,
  });
  let ran: Array<{ name: string }>;
  try {
    ran = await umzug.up();
  } catch (wrapped) {
    // umzug wraps what a migration throws; the coded error inside names the file.
    throw (wrapped as { cause?: unknown }).cause ?? wrapped;
  }
  const names = ran.map((migration) => migration.name);
  if (names.length > 0) log.info({ migrations: names }, "applied migrations");
  return names;
}
