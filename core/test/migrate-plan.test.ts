/**
 * `arizuko migrate --dry-run` through the real binary: what a new database, an older one
 * and an up-to-date one would get, with nothing applied.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, tempDir, type TestInstance } from "./helpers/instance.js";

const BINARY = fileURLToPath(new URL("../bin/arizuko.js", import.meta.url));
const CORE_MIGRATIONS = readdirSync(fileURLToPath(new URL("../../migrations", import.meta.url))).filter((file) => file.endsWith(".sql")).sort();

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function dryRun(dataDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BINARY, "--data", dataDir, "migrate", "--dry-run"], { cwd: tempDir() });
  return stdout;
}

function ledger(dataDir: string): Array<{ owner: string; name: string }> {
  const db = new Database(join(dataDir, "arizuko.db"), { readonly: true });
  try {
    return db.prepare("SELECT owner, name FROM arizuko_migrations ORDER BY owner, name").all() as Array<{ owner: string; name: string }>;
  } finally {
    db.close();
  }
}

describe("arizuko migrate --dry-run", () => {
  it("lists every migration for a new database and creates none", async () => {
    const dataDir = join(tempDir(), "data");
    const out = await dryRun(dataDir);
    const [head, ...listed] = out.trim().split("\n");
    expect(head).toBe(`${listed.length} migrations would run on the new database ${join(dataDir, "arizuko.db")} at the next start or \`arizuko migrate\`:`);
    expect(listed.filter((line) => line.startsWith("  core/"))).toEqual(CORE_MIGRATIONS.map((file) => `  core/${file}`));
    expect(out).toContain("  core/0001_initial.sql\n");
    expect(out).toContain("  route-table/0001_routes.sql\n");
    expect(out).toContain("  scheduler/0001_tasks.sql\n");
    expect(existsSync(join(dataDir, "arizuko.db"))).toBe(false);
  });

  it("lists what an older database lacks, and changes nothing", async () => {
    instance = await startInstance();
    const { dataDir } = instance;
    await instance.stop();
    // As if the database came from a release before these two migrations.
    const db = new Database(join(dataDir, "arizuko.db"));
    db.prepare("DELETE FROM arizuko_migrations WHERE (owner = 'core' AND name = ?) OR owner = 'scheduler'").run(CORE_MIGRATIONS.at(-1));
    db.close();
    const before = ledger(dataDir);

    const out = await dryRun(dataDir);
    expect(out).toBe(`2 migrations would run on database ${join(dataDir, "arizuko.db")} at the next start or \`arizuko migrate\`:\n  core/${CORE_MIGRATIONS.at(-1)}\n  scheduler/0001_tasks.sql\n`);
    expect(ledger(dataDir)).toEqual(before);
  });

  it("up to date, instance running", async () => {
    instance = await startInstance();
    expect(await dryRun(instance.dataDir)).toBe(`nothing to apply; database ${join(instance.dataDir, "arizuko.db")} is up to date\n`);
  });
});
