/**
 * SQLite contention: while a second process writes and reads the same database file
 * back to back, the instance takes a burst of messages from many chats (inbound
 * commits, routing decisions, run claims, replies and the outbox all write), serves
 * history reads and event streams, and runs CLI commands. No SQLITE_BUSY may reach a
 * user as an error response or the log as an error.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixture, fixtureAgent, startInstance, type TestInstance } from "../helpers/instance.js";
import { waitFor } from "../helpers/wait.js";

const MESSAGES = process.env.ARIZUKO_SOAK ? 3000 : 300;
const CHATS = 20;

let instance: TestInstance | undefined;
afterAll(() => instance?.dispose());

function hammer(file: string, durationMs: number): Promise<{ writes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture("hammer.mjs"), file, String(durationMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output) as { writes: number }) : reject(new Error(`hammer exited with ${code}`))));
  });
}

describe("SQLite contention", () => {
  it("never surfaces a busy database", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") }, queue: { maxConcurrentRuns: 8 } } });
    const visitor = instance.client();
    await visitor.get("/");
    const second = hammer(join(instance.dataDir, "arizuko.db"), 8000);

    const streams = await Promise.all([0, 1, 2].map((index) => visitor.events(`busy-${index}`)));
    // Posts go out 32 at a time, as many clients would send them, not thousands of sockets at once.
    const statuses: number[] = [];
    let next = 0;
    const poster = async () => {
      while (next < MESSAGES) {
        const index = next++;
        statuses.push((await visitor.say(`busy-${index % CHATS}`, `message ${index}`)).status);
      }
    };
    const posts = Promise.all(Array.from({ length: 32 }, poster));
    const reads = Array.from({ length: 50 }, (_, index) => visitor.get(`/web/chats/busy-${index % CHATS}/messages?limit=50`));
    const commands = [instance.kernel.runCli(["group", "add", "extra"]), instance.kernel.runCli(["route", "list"]), instance.kernel.runCli(["plugins"])];

    await posts;
    const readStatuses = (await Promise.all(reads)).map((response) => response.status);
    const results = await Promise.all(commands);
    const { writes } = await second;
    await waitFor(
      () => (instance!.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state <> 'done'").get() as { n: number }).n === 0,
      { timeoutMs: 60_000, what: "every message to be answered" },
    );
    streams.forEach((stream) => stream.close());

    expect(writes).toBeGreaterThan(100);
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    expect(readStatuses.filter((status) => status !== 200)).toEqual([]);
    expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0]);
    const errors = readFileSync(join(instance.dir, "arizuko.log"), "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 50);
    expect(errors).toEqual([]);
  }, 120_000);
});
