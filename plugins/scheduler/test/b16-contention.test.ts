/**
 * SQLite contention around the scheduler and the dashboard, which both use the
 * instance's one connection (`host.db`). A second process writing the same database
 * file must make them wait, not fail. Each task claim, run record and handed-over
 * prompt lands exactly once, every dashboard page loads, and no SQLITE_BUSY reaches
 * the log. Agent runs are real (the scripted test agent), and only the scheduler's
 * time is fake.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixture } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person } from "../../web/test/helpers/people.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, iso, PLUGINS, World } from "./helpers/world.js";

const MINUTE = 60_000;
const START = at("2026-06-01T10:00:00Z");
const TASK_CHATS = ["web:local/ops", "web:local/reports", "web:local/alerts"];
const INTERVAL_TASKS = 10;
/** The one-shot task's due time, which the live-traffic test always steps past. */
const ONCE_AT = START + 3 * MINUTE;
const MIN_MINUTES = 5;
const MESSAGES = 300;
const VISITOR_CHATS = 20;
/** Posts go out this many at a time, as many clients would send them. */
const POSTERS = 32;
const HAMMER_MS = 8000;
const HOLD_MS = 1500;
const DASHBOARD_PAGES = ["/dash", "/dash/activity", "/dash/runs", "/dash/panels/tasks", "/scheduler/panel/list"];
const BUSY = /SQLITE_BUSY|database is locked/i;

let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

/** Runs core's hammer fixture on `file` for `durationMs`: short write transactions and reads from a second process. */
function hammer(file: string, durationMs: number): Promise<{ writes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture("hammer.mjs"), file, String(durationMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output) as { writes: number }) : reject(new Error(`hammer.mjs exited with code ${code}; its stderr is above`))));
  });
}

/** Starts a second process that holds the database's write lock for `holdMs`, and resolves once it has the lock. */
function holdLock(file: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const child = spawn(process.execPath, [fixture("hold-lock.mjs"), file, String(holdMs)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (text: string) => {
      if (!text.startsWith("locked")) return reject(new Error(`unexpected output from hold-lock.mjs: ${text}`));
      resolve({ released: new Promise((done) => child.once("exit", () => done())) });
    });
    child.once("error", reject);
  });
}

/** Lines of the instance log (pino JSON, one entry a line). */
function logLines(world: World): string[] {
  return readFileSync(join(world.instance.dir, "arizuko.log"), "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

/** Log lines at level error (50) or above. */
function errorLines(world: World): string[] {
  return logLines(world).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

/** Adds an operator's task in `chat` with the CLI and returns its id. */
async function addTask(world: World, chat: string, ...flags: string[]): Promise<string> {
  const out = await world.cli("task", "add", "--group", "main", "--chat", chat, ...flags);
  return /added task (tsk_[0-9a-f]+)/.exec(out)![1]!;
}

/** Selects the inbound messages the scheduler handed over for `taskId`, oldest first. */
function handedOver(world: World, taskId: string): Array<{ state: string }> {
  return world.db.prepare("SELECT state FROM messages WHERE direction = 'in' AND platform_id LIKE ? ORDER BY seq").all(`task:${taskId}:%`) as never;
}

describe("scheduler and dashboard under SQLite contention", () => {
  it("fire tasks and serve pages beside live traffic", async () => {
    const clock = new FakeClock(START);
    // A public web chat beside an operator's dashboard. With the default `access: auto`,
    // the operator's account would close the chat to cookie visitors.
    const plugins = PLUGINS.map((name) => (name === "web" ? { use: "web", config: { access: "open" } } : name));
    world = await World.start({ clock, config: { plugins, queue: { maxConcurrentRuns: 8 } } });
    const current = world;
    const intervals: string[] = [];
    for (let index = 0; index < INTERVAL_TASKS; index++) {
      intervals.push(await addTask(current, TASK_CHATS[index % TASK_CHATS.length]!, "--prompt", `check ${index}`, "--every", "1m"));
    }
    const once = await addTask(current, TASK_CHATS[0]!, "--prompt", "one-shot report", "--at", new Date(ONCE_AT).toISOString());
    const operator = await person(current.instance, "olga", { operator: true });
    const visitor = current.instance.client();
    await visitor.get("/");

    const started = Date.now();
    let hammering = true;
    const second = hammer(join(current.instance.dataDir, "arizuko.db"), HAMMER_MS).finally(() => (hammering = false));

    // (a) A burst of chat messages from a visitor.
    const postStatuses: number[] = [];
    let next = 0;
    const poster = async () => {
      while (next < MESSAGES) {
        const index = next++;
        postStatuses.push((await visitor.say(`busy-${index % VISITOR_CHATS}`, `message ${index}`)).status);
      }
    };
    const posts = Promise.all(Array.from({ length: POSTERS }, poster));

    // (b) The clock steps a minute at a time until the hammer exits, so claims and run records compete with its writes.
    let minutes = 0;
    let stepping = true;
    const steps = (async () => {
      try {
        while (minutes < MIN_MINUTES || hammering) {
          minutes += 1;
          await current.stepTo(START + minutes * MINUTE);
        }
      } finally {
        stepping = false;
      }
    })();

    // (c) An operator reading the dashboard until the stepping ends.
    const readStatuses: Array<{ path: string; status: number }> = [];
    const reads = (async () => {
      while (stepping) {
        for (const path of DASHBOARD_PAGES) readStatuses.push({ path, status: (await operator.get(path)).status });
      }
    })();

    const outcomes = await Promise.allSettled([posts, steps, reads]);
    const { writes } = await second;
    // A busy error is checked first, so its log lines show rather than the timeouts it causes.
    expect(logLines(current).filter((line) => BUSY.test(line))).toEqual([]);
    expect(outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [String(outcome.reason)] : []))).toEqual([]);
    await waitFor(
      () => (current.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state <> 'done'").get() as { n: number }).n === 0,
      { timeoutMs: 30_000, what: "every message to be answered" },
    );
    await current.settled();
    const elapsed = Date.now() - started;
    console.log(`hammer writes ${writes}, posts ${postStatuses.length}, dashboard reads ${readStatuses.length}, minutes stepped ${minutes}, ${elapsed} ms`);

    expect(writes).toBeGreaterThan(100);
    expect(postStatuses).toHaveLength(MESSAGES);
    expect(postStatuses.filter((status) => status !== 202)).toEqual([]);
    expect(readStatuses.length).toBeGreaterThanOrEqual(DASHBOARD_PAGES.length);
    expect(readStatuses.filter((read) => read.status !== 200)).toEqual([]);

    // Each interval task fired once a minute: one run row per due time, each done.
    const dueTimes = Array.from({ length: minutes }, (_, index) => iso(START + (index + 1) * MINUTE));
    for (const id of intervals) {
      const runs = current.runs(id);
      expect(runs.map((run) => iso(run.due_at)), id).toEqual(dueTimes);
      expect(runs.filter((run) => run.state !== "done" || run.error !== null), id).toEqual([]);
      expect(handedOver(current, id).map((message) => message.state), id).toEqual(dueTimes.map(() => "done"));
    }
    expect(current.runs(once).map((run) => [iso(run.due_at), run.state, run.error])).toEqual([[iso(ONCE_AT), "done", null]]);
    expect(current.task(once)).toMatchObject({ status: "completed", next_run_at: null });
    expect(handedOver(current, once).map((message) => message.state)).toEqual(["done"]);

    expect(logLines(current).filter((line) => BUSY.test(line))).toEqual([]);
    expect(errorLines(current)).toEqual([]);
  }, 90_000);

  it("claim a due task after a held lock", async () => {
    const clock = new FakeClock(START);
    world = await World.start({ clock });
    const id = await world.addTask("--prompt", "report after the lock", "--every", "1m");
    // This is the only connection the instance opens. The scheduler's TaskStore uses it as `host.db`,
    // and the dashboard reads through the host API.
    expect(world.db.pragma("busy_timeout", { simple: true })).toBeGreaterThanOrEqual(5000);

    const lock = await holdLock(join(world.instance.dataDir, "arizuko.db"), HOLD_MS);
    const holdBegan = Date.now();
    // The claim runs inside clock.set and blocks in SQLite's busy handler until the holder commits.
    clock.set(START + MINUTE);
    const waited = Date.now() - holdBegan;
    const claimed = world.runs(id);
    await lock.released;
    await world.settled();
    console.log(`claim waited ${waited} ms for a ${HOLD_MS} ms hold`);

    expect(logLines(world).filter((line) => BUSY.test(line) || line.includes("scheduler could not check due tasks"))).toEqual([]);
    expect(errorLines(world)).toEqual([]);
    // The hold began when the holder printed "locked", a little before this process read it.
    expect(waited).toBeGreaterThanOrEqual(HOLD_MS - 100);
    expect(claimed.map((run) => iso(run.due_at))).toEqual([iso(START + MINUTE)]);
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state, run.error])).toEqual([[iso(START + MINUTE), "done", null]]);
    expect(world.agentRuns().map((run) => run.texts)).toEqual([["report after the lock"]]);
    expect(handedOver(world, id).map((message) => message.state)).toEqual(["done"]);
  });
});
