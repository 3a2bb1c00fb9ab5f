import { rmSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { definePlugin, HOST_API_VERSION, tablePrefix } from "@arizuko/sdk";
import { coreMigrationsDir } from "../src/assets.js";
import { DATABASE_FILE, openDatabase, type Db } from "../src/store/db.js";
import { Store } from "../src/store/index.js";
import { migrate, MIGRATIONS_TABLE } from "../src/store/migrate.js";
import { fixture, startInstance, tempDir, type TestInstance } from "./helpers/instance.js";

const silent = pino({ level: "silent" });

interface LedgerRow {
  owner: string;
  name: string;
  applied_at: number;
}

function ledger(db: Db, owner: string): LedgerRow[] {
  return db.prepare(`SELECT owner, name, applied_at FROM ${MIGRATIONS_TABLE} WHERE owner = ? ORDER BY name`).all(owner) as LedgerRow[];
}

function objectNames(db: Db, prefix: string): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE name LIKE ? ORDER BY name").all(`${prefix}%`) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/** Defines an in-process plugin whose migrations folder is the fixture folder of the same name. */
function migratingPlugin(name: string) {
  return {
    definition: definePlugin({
      name,
      version: "0.0.1",
      apiVersion: HOST_API_VERSION,
      migrations: fixture(`plugins/${name}`),
      register: () => {},
    }),
  };
}

/** Applies one fixture folder as plugin `name` would, on a fresh database. */
async function migrateFixture(db: Db, name: string): Promise<string[]> {
  return migrate(db, { owner: name, dir: fixture(`plugins/${name}`), prefix: tablePrefix(name) }, silent);
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error as { code?: string; message: string },
  );
}

const dirs: string[] = [];
const open: Array<{ close(): void }> = [];
let instance: TestInstance | undefined;

function freshDir(): string {
  const dir = tempDir("arizuko-migrations-");
  dirs.push(dir);
  return dir;
}

function freshDb(): Db {
  const db = openDatabase(join(freshDir(), DATABASE_FILE));
  open.push(db);
  return db;
}

afterEach(async () => {
  await instance?.stop();
  instance = undefined;
  for (const handle of open.splice(0)) handle.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("core migrations", () => {
  it("apply once on open", async () => {
    const store = await Store.open(freshDir(), silent);
    open.push(store);

    expect(ledger(store.db, "core").map((row) => row.name)).toEqual(["0001_initial.sql", "0002_routing.sql", "0003_grants.sql", "0004_tools.sql", "0005_auth.sql", "0006_identities.sql", "0007_invitations.sql", "0008_user_groups.sql", "0009_audit.sql", "0010_run_harness.sql", "0011_message_files.sql", "0012_message_role.sql"]);
    expect(objectNames(store.db, "messages")).toContain("messages");
  });

  it("re-run as a no-op", async () => {
    const store = await Store.open(freshDir(), silent);
    open.push(store);
    const before = ledger(store.db, "core");

    expect(await migrate(store.db, { owner: "core", dir: coreMigrationsDir() }, silent)).toEqual([]);
    expect(ledger(store.db, "core")).toEqual(before);
  });

  it("stay applied across reopen", async () => {
    const dir = freshDir();
    const first = await Store.open(dir, silent);
    const before = ledger(first.db, "core");
    first.close();

    const second = await Store.open(dir, silent);
    open.push(second);
    expect(ledger(second.db, "core")).toEqual(before);
  });

  it("record owner and name", async () => {
    const store = await Store.open(freshDir(), silent);
    open.push(store);

    const [row] = ledger(store.db, "core");
    expect(row?.owner).toBe("core");
    expect(row?.name).toBe("0001_initial.sql");
    expect(row?.applied_at).toBeGreaterThan(0);
  });
});

describe("plugin migrations", () => {
  it("create tables for an added plugin", async () => {
    const dir = freshDir();
    instance = await startInstance({ dir });
    await instance.stop();

    instance = await startInstance({ dir, plugins: [migratingPlugin("unit-migrations")] });
    const db = instance.kernel.store.db;
    expect(objectNames(db, "unit_migrations_")).toEqual([
      "unit_migrations_notes",
      "unit_migrations_notes_body",
      "unit_migrations_tags",
    ]);
    expect(ledger(db, "unit-migrations").map((row) => row.name)).toEqual(["0001_notes.sql", "0002_tags.sql"]);
  });

  it("apply nothing new on restart", async () => {
    const dir = freshDir();
    instance = await startInstance({ dir, plugins: [migratingPlugin("unit-migrations")] });
    const before = ledger(instance.kernel.store.db, "unit-migrations");
    instance.kernel.store.db.prepare("INSERT INTO unit_migrations_notes (body) VALUES (?)").run("kept");
    await instance.stop();

    instance = await startInstance({ dir, plugins: [migratingPlugin("unit-migrations")] });
    const db = instance.kernel.store.db;
    expect(ledger(db, "unit-migrations")).toEqual(before);
    expect(db.prepare("SELECT body FROM unit_migrations_notes").all()).toEqual([{ body: "kept" }]);
    expect((await instance.client().get("/health")).body.plugins["unit-migrations"]).toEqual({ state: "ok" });
  });

  it("reject an unprefixed table", async () => {
    const error = await rejection(migrateFixture(freshDb(), "unit-migrations-prefix"));

    expect(error.code).toBe("ARZ_ERR_MIGRATION_TABLE");
    expect(error.message).toContain("creates notes");
    expect(error.message).toContain("must start with unit_migrations_prefix_");
  });

  it("fail the plugin with an unprefixed table", async () => {
    instance = await startInstance({ dir: freshDir(), plugins: [migratingPlugin("unit-migrations-prefix")] });

    const status = (await instance.client().get("/health")).body.plugins["unit-migrations-prefix"];
    expect(status.state).toBe("failed");
    expect(status.error).toContain("creates notes");
    expect(status.error).toContain("must start with unit_migrations_prefix_");
    expect(objectNames(instance.kernel.store.db, "notes")).toEqual([]);
  });

  it("reject a badly named file", async () => {
    const error = await rejection(migrateFixture(freshDb(), "unit-migrations-name"));

    expect(error.code).toBe("ARZ_ERR_MIGRATION_NAME");
    expect(error.message).toContain("create-notes.sql");
    expect(error.message).toContain("NNNN_description.sql");
  });

  it("fail the plugin with a bad name", async () => {
    instance = await startInstance({ dir: freshDir(), plugins: [migratingPlugin("unit-migrations-name")] });

    const status = (await instance.client().get("/health")).body.plugins["unit-migrations-name"];
    expect(status.state).toBe("failed");
    expect(status.error).toContain("create-notes.sql");
    expect(objectNames(instance.kernel.store.db, "unit_migrations_name_")).toEqual([]);
  });

  it("reject an SQL error whole", async () => {
    const db = freshDb();
    const error = await rejection(migrateFixture(db, "unit-migrations-sql-error"));

    expect(error.code).toBe("ARZ_ERR_MIGRATION");
    expect(error.message).toContain("0001_notes.sql");
    expect(error.message).toContain("syntax error");
    expect(ledger(db, "unit-migrations-sql-error")).toEqual([]);
    expect(objectNames(db, "unit_migrations_sql_error_")).toEqual([]);
  });

  it("fail the plugin on SQL error", async () => {
    instance = await startInstance({ dir: freshDir(), plugins: [migratingPlugin("unit-migrations-sql-error")] });
    const db = instance.kernel.store.db;

    const status = (await instance.client().get("/health")).body.plugins["unit-migrations-sql-error"];
    expect(status.state).toBe("failed");
    expect(status.error).toContain("0001_notes.sql");
    expect(status.error).toContain("syntax error");
    expect(ledger(db, "unit-migrations-sql-error")).toEqual([]);
    expect(objectNames(db, "unit_migrations_sql_error_")).toEqual([]);
  });

  // The prefix check scans SQL comments too, so a comment mentioning "CREATE TABLE notes" rejects a correct file.
  it("ignore table names in comments", async () => {
    const db = freshDb();

    expect(await migrateFixture(db, "unit-migrations-comment")).toEqual(["0001_notes.sql"]);
  });

  // The prefix check matches CREATE [UNIQUE] [TEMP] TABLE|INDEX|VIEW|TRIGGER only, so CREATE VIRTUAL TABLE passes unchecked.
  it("reject an unprefixed virtual table", async () => {
    const error = await rejection(migrateFixture(freshDb(), "unit-migrations-virtual"));

    expect(error.code).toBe("ARZ_ERR_MIGRATION_TABLE");
  });
});

describe("store connections", () => {
  const pragmas = (db: Db) => ({
    busyTimeout: db.pragma("busy_timeout", { simple: true }) as number,
    journalMode: db.pragma("journal_mode", { simple: true }),
    foreignKeys: db.pragma("foreign_keys", { simple: true }),
    synchronous: db.pragma("synchronous", { simple: true }),
  });

  const connections: Array<[string, () => Promise<Db>]> = [
    [
      "Store.open",
      async () => {
        const store = await Store.open(freshDir(), silent);
        open.push(store);
        return store.db;
      },
    ],
    [
      "a running instance",
      async () => {
        instance = await startInstance({ dir: freshDir() });
        return instance.kernel.store.db;
      },
    ],
    [
      "a read-only open",
      async () => {
        const dir = freshDir();
        const store = await Store.open(dir, silent);
        open.push(store);
        const db = openDatabase(join(dir, DATABASE_FILE), { readonly: true });
        open.push(db);
        return db;
      },
    ],
  ];

  it.each(connections)("set pragmas for %s", async (_source, connect) => {
    const settings = pragmas(await connect());

    expect(settings.busyTimeout).toBeGreaterThanOrEqual(5000);
    expect(settings.journalMode).toBe("wal");
    expect(settings.foreignKeys).toBe(1);
    expect(settings.synchronous).toBe(1);
  });
});
