import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BUSY_TIMEOUT_MS } from "../src/store/db.js";
import { fixture, startInstance, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

/** Starts a second process holding the database's write lock for `holdMs`; resolves once it holds it. */
function holdLock(file: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const child = spawn(process.execPath, [fixture("hold-lock.mjs"), file, String(holdMs)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (text: string) => {
      if (!text.startsWith("locked")) return reject(new Error(`unexpected output: ${text}`));
      resolve({ released: new Promise((done) => child.once("exit", () => done())) });
    });
    child.once("error", reject);
  });
}

/** Reads arizuko_sqlite_busy_total from the instance's /metrics with the admin token. */
async function busyMetric(): Promise<number> {
  const token = readFileSync(join(instance!.dataDir, "admin.token"), "utf8").trim();
  const text = await (await fetch(`${instance!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("arizuko_sqlite_busy_total "));
  return Number(line?.split(" ")[1] ?? NaN);
}

describe("store under lock contention", () => {
  it("sets a busy timeout of at least 5 s", async () => {
    instance = await startInstance();
    expect(BUSY_TIMEOUT_MS).toBeGreaterThanOrEqual(5000);
    expect(instance.kernel.store.db.pragma("busy_timeout", { simple: true })).toBeGreaterThanOrEqual(5000);
  });

  it("waits for another writer instead of failing", async () => {
    instance = await startInstance();
    const visitor = instance.client();
    const lock = await holdLock(join(instance.dataDir, "arizuko.db"), 1500);

    const started = Date.now();
    const posted = await visitor.say("c1", "written while locked");
    const waited = Date.now() - started;
    await lock.released;

    expect(posted.status).toBe(202);
    expect(waited).toBeGreaterThanOrEqual(1400);
    const stored = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE text = ?").get("written while locked") as { n: number };
    expect(stored.n).toBe(1);
  });

  it("retries past the busy timeout without losing the message", async () => {
    instance = await startInstance();
    const visitor = instance.client();
    await visitor.say("c1", "opens the chat");
    // Let the first message's run finish, so the post below is the only writer meeting the lock.
    await waitFor(() => (instance!.kernel.store.db.prepare("SELECT state FROM messages WHERE text = ?").get("opens the chat") as { state: string }).state === "done");
    const busyBefore = await busyMetric();
    const lock = await holdLock(join(instance.dataDir, "arizuko.db"), BUSY_TIMEOUT_MS + 2000);

    const posted = await visitor.say("c1", "written after a long lock");
    await lock.released;
    // Each wait past the busy timeout is counted for /metrics.
    expect(await busyMetric()).toBeGreaterThan(busyBefore);

    expect(posted.status).toBe(202);
    const stored = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE text = ?").get("written after a long lock") as { n: number };
    expect(stored.n).toBe(1);
    const log = await import("node:fs").then((fs) => fs.readFileSync(join(instance!.dir, "arizuko.log"), "utf8"));
    expect(log).toContain("store locked; retrying inbound commit");
  });

  it("answers 503 when a new chat meets a long lock", async () => {
    instance = await startInstance();
    const visitor = instance.client();
    const lock = await holdLock(join(instance.dataDir, "arizuko.db"), BUSY_TIMEOUT_MS + 1000);

    const refused = await visitor.say("c-new", "first words");
    await lock.released;
    const retried = await visitor.say("c-new", "first words", { id: "retry-safe" });

    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body.error.code).toBe("ARZ_ERR_STORE_BUSY");
    expect(retried.status).toBe(202);
  });
});
