/**
 * `arizuko backup`: an online copy of the database that opens, passes SQLite's
 * integrity check and contains the same rows, taken while the instance runs and takes
 * messages, and from a shell in another folder through the real binary.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, tempDir, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

const BINARY = fileURLToPath(new URL("../bin/arizuko.js", import.meta.url));
const TABLES = ["messages", "groups", "runs", "outbox", "sessions", "chats"];

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

function counts(db: Database.Database): Record<string, number> {
  return Object.fromEntries(TABLES.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]));
}

function open(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Waits until every inbound message is done, so nothing writes during the copy. */
async function settled(): Promise<void> {
  await waitFor(() => (instance!.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state <> 'done'").get() as { n: number }).n === 0, { what: "every message to be answered" });
}

describe("arizuko backup", () => {
  it("copies the running database with the same rows", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") } } });
    const visitor = instance.client();
    for (let index = 0; index < 20; index += 1) expect((await visitor.say(`c${index % 4}`, `message ${index}`)).status).toBe(202);
    await settled();

    const file = join(tempDir(), "copy.db");
    const result = await instance.kernel.runCli(["backup", file]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up the database to ${file} \\(\\d+ pages, \\d+\\.\\d MiB\\) in \\d+ ms; also copy .*groups, which holds the group folders`));

    const copy = open(file);
    expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(counts(copy)).toEqual(counts(instance.kernel.store.db));
    expect(counts(copy).messages).toBeGreaterThanOrEqual(24);
    copy.close();
  });

  it("takes a consistent copy while messages keep arriving", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") } } });
    const visitor = instance.client();
    // The visitor cookie first, so the concurrent posts share one visitor.
    await visitor.get("/");
    const posts = Promise.all(Array.from({ length: 40 }, (_, index) => visitor.say(`busy${index % 10}`, `message ${index}`)));
    const file = join(tempDir(), "during.db");
    const result = await instance.kernel.runCli(["backup", file]);
    expect((await posts).map((response) => response.status).filter((status) => status !== 202)).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);

    const copy = open(file);
    expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
    // Every message in the copy is in the live database, unchanged.
    const copied = copy.prepare("SELECT seq, chat, text FROM messages WHERE direction = 'in' ORDER BY seq").all();
    const live = instance.kernel.store.db.prepare("SELECT seq, chat, text FROM messages WHERE direction = 'in' AND seq <= ? ORDER BY seq").all((copied.at(-1) as { seq: number } | undefined)?.seq ?? 0);
    expect(copied).toEqual(live);
    copy.close();
  });

  it("default file name, readable by arizuko's user only, no overwrite", async () => {
    instance = await startInstance();
    const first = await instance.kernel.runCli(["backup"]);
    expect(first.exitCode, first.stderr).toBe(0);
    const backups = readdirSync(join(instance.dataDir, "backups"));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^arizuko-\d{8}-\d{6}\.db$/);

    const file = join(instance.dataDir, "backups", backups[0]!);
    // It contains password hashes, tokens and every message.
    expect(statSync(join(instance.dataDir, "backups")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await instance.kernel.runCli(["backup", file]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`${file} exists already; give a new file name, or remove the old backup first`);
    expect(readdirSync(join(instance.dataDir, "backups"))).toEqual(backups);
  });

  it("writes a relative path into the shell's folder, through the running instance", async () => {
    instance = await startInstance();
    const shell = tempDir();
    const { stdout } = await promisify(execFile)(process.execPath, [BINARY, "--data", instance.dataDir, "backup", "nightly.db"], { cwd: shell });
    expect(stdout).toContain(`backed up the database to ${join(shell, "nightly.db")}`);
    expect(existsSync(join(shell, "nightly.db"))).toBe(true);
    expect(existsSync(join(shell, "nightly.db.partial"))).toBe(false);
    const copy = open(join(shell, "nightly.db"));
    expect(copy.prepare("SELECT folder FROM groups").all()).toEqual([{ folder: "main" }]);
    copy.close();
  });
});
