/**
 * Fault case B17, "scheduled task runs twice": a task `0 7 * * *` in UTC for group
 * `ops` whose agent run lasts longer than the time the clock moves on. The old poller
 * wrote `next_run` only when a run finished, so every run came in pairs, and a restart
 * mid-run did the same. Here the due time is claimed, and the next one stored, before
 * the run starts. The clock moves 06:59 → 07:40 a minute at a time, as the 60 s poll did.
 *
 * Also: two schedulers on two connections that both see the task due, and six
 * processes racing for the same due time, give one claim.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { definePlugin, HOST_API_VERSION } from "@arizuko/sdk";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { fixture } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { Scheduler } from "../src/scheduler.js";
import { TaskStore } from "../src/tasks.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, iso, World } from "./helpers/world.js";

const MINUTE = 60_000;
const OPS_CHAT = "web:local/ops-room";
let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

/** Builds a plugin that notes the task's stored next time at the moment each agent run starts. */
function probe(seen: Array<number | null>) {
  return definePlugin({
    name: "b17-probe",
    version: "0.0.0",
    apiVersion: HOST_API_VERSION,
    register(host) {
      host.hooks.onAgentStart.tap(() => {
        const row = host.db.prepare("SELECT next_run_at FROM scheduler_tasks").get() as { next_run_at: number | null };
        seen.push(row.next_run_at);
      });
    },
  });
}

async function opsWorld(clock: FakeClock, options: { dir?: string; seen?: Array<number | null>; config?: Record<string, unknown> } = {}): Promise<World> {
  const started = await World.start({ clock, dir: options.dir, config: options.config, plugins: options.seen ? [{ definition: probe(options.seen) }] : [] });
  if (!started.instance.kernel.groups.exists("ops")) started.instance.kernel.groups.add("ops", "Ops");
  return started;
}

/** Moves the clock a minute at a time from now to `until`. */
function tickTo(clock: FakeClock, until: number): void {
  while (clock.now() < until) clock.advance(MINUTE);
}

function taskMessages(): Array<{ platform_id: string; state: string; route_reason: string }> {
  return world!.db.prepare("SELECT platform_id, state, route_reason FROM messages WHERE sender = 'local:ops' AND direction = 'in' ORDER BY seq").all() as never;
}

describe("B17: a scheduled task runs once per due time", () => {
  it("long run: one run, next time stored first", async () => {
    const clock = new FakeClock(at("2026-03-02T06:59:00Z"));
    const seen: Array<number | null> = [];
    world = await opsWorld(clock, { seen });
    const id = await world.addTask("--group", "ops", "--chat", OPS_CHAT, "--prompt", "slow 3000", "--cron", "0 7 * * *", "--zone", "UTC");

    clock.advance(MINUTE);
    await waitFor(() => seen.length === 1, { what: "the run to start" });
    expect(seen.map(iso)).toEqual(["2026-03-03T07:00:00.000Z"]);

    // The run goes on (3 s of real time) while the clock passes 07:40.
    tickTo(clock, at("2026-03-02T07:40:00Z"));
    await world.settled();
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-03-02T07:00:00.000Z", "done"]]);
    expect(world.agentRuns("ops")).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(world.replies(OPS_CHAT)).toEqual(["slow reply to slow 3000"]);
    expect(iso(world.task(id).next_run_at)).toBe("2026-03-03T07:00:00.000Z");
  });

  it("restart mid-run: no second claim", async () => {
    const clock = new FakeClock(at("2026-03-02T06:59:00Z"));
    world = await opsWorld(clock);
    const dir = world.instance.dir;
    const id = await world.addTask("--group", "ops", "--chat", OPS_CHAT, "--prompt", "slow 4000", "--cron", "0 7 * * *");
    tickTo(clock, at("2026-03-02T07:10:00Z"));
    await waitFor(() => world!.runs(id)[0]?.state === "running", { what: "the run to start" });
    await world.instance.stop();

    world = await opsWorld(new FakeClock(at("2026-03-02T07:10:00Z")), { dir });
    tickTo(world.clock, at("2026-03-02T07:40:00Z"));
    await world.settled();
    // One claim and one message for 07:00. The stop cut its run short before a reply, so
    // the core's start-up recovery runs that message again, as it does any such message,
    // and the chat gets one reply.
    expect(world.runs(id).map((run) => iso(run.due_at))).toEqual(["2026-03-02T07:00:00.000Z"]);
    expect(taskMessages().map((message) => message.platform_id)).toEqual([`task:${id}:${at("2026-03-02T07:00:00Z")}`]);
    await waitFor(() => world!.replies(OPS_CHAT).length === 1, { what: "the one answer" });
    expect(world.replies(OPS_CHAT)).toEqual(["slow reply to slow 4000"]);
    expect(world.agentRuns("ops").map((run) => run.texts)).toEqual([["slow 4000"], ["slow 4000"]]);
    expect(iso(world.task(id).next_run_at)).toBe("2026-03-03T07:00:00.000Z");
  });

  it("pause after claim: no run", async () => {
    const clock = new FakeClock(at("2026-03-02T06:59:00Z"));
    world = await opsWorld(clock, { config: { queue: { maxConcurrentRuns: 1 } } });
    const id = await world.addTask("--group", "ops", "--chat", OPS_CHAT, "--prompt", "report", "--cron", "0 7 * * *");

    // Another chat's run takes the only run slot, so the claimed task has to wait.
    const visitor = world.instance.client();
    expect((await visitor.say("busy", "slow 2000")).status).toBe(202);
    await waitFor(() => world!.instance.kernel.runs.active().length === 1, { what: "the other run to start" });
    tickTo(clock, at("2026-03-02T07:01:00Z"));
    expect(world.runs(id).map((run) => run.state)).toEqual(["queued"]);

    await world.cli("task", "pause", id);
    await waitFor(() => world!.instance.kernel.runs.active().length === 0, { what: "the other run to end" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(world.runs(id)).toEqual([expect.objectContaining({ state: "withdrawn", error: "task paused before its run started" })]);
    expect(taskMessages()).toEqual([expect.objectContaining({ state: "done", route_reason: "task paused before its run started" })]);
    expect(world.agentRuns("ops")).toEqual([]);
    expect(world.task(id).status).toBe("paused");
  });

  it("two schedulers: one claim", async () => {
    const clock = new FakeClock(at("2026-03-02T06:59:00Z"));
    world = await opsWorld(clock);
    const id = await world.addTask("--group", "ops", "--chat", OPS_CHAT, "--prompt", "report", "--cron", "0 7 * * *");
    const { kernel } = world.instance;
    // A second scheduler, as another process would have: its own connection to the same file.
    const second = new Database(join(world.instance.dataDir, "arizuko.db"));
    second.pragma("busy_timeout = 5000");
    const deps = {
      clock,
      runs: kernel.runs,
      messages: { bySeq: (seq: number) => kernel.store.messages.bySeq(seq), findByPlatformId: (chat: string, platformId: string) => kernel.store.messages.findByPlatformId(chat, platformId) },
      groups: kernel.groups,
      log: pino({ level: "silent" }),
    };
    const options = { catchUp: "once" as const, lateAfterMs: MINUTE };
    const first = new Scheduler({ ...deps, store: new TaskStore(kernel.store.db) }, options);
    const other = new Scheduler({ ...deps, store: new TaskStore(second) }, options);

    // Both read the task as due before either claims it.
    const now = at("2026-03-02T07:00:00Z");
    const seenByFirst = new TaskStore(kernel.store.db).due(now);
    const seenByOther = new TaskStore(second).due(now);
    expect([seenByFirst.length, seenByOther.length]).toEqual([1, 1]);
    expect([first.fire(seenByFirst[0]!, now), other.fire(seenByOther[0]!, now)]).toEqual([true, false]);
    second.close();

    await world.settled();
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-03-02T07:00:00.000Z", "done"]]);
    expect(taskMessages()).toHaveLength(1);
    expect(world.agentRuns("ops")).toHaveLength(1);
  });

  it("six racing processes: one claim", async () => {
    const clock = new FakeClock(at("2026-03-02T06:59:00Z"));
    world = await opsWorld(clock);
    const id = await world.addTask("--group", "ops", "--chat", OPS_CHAT, "--prompt", "report", "--cron", "0 7 * * *");
    const file = join(world.instance.dataDir, "arizuko.db");
    const startAt = Date.now() + 1500;

    const race = () =>
      new Promise<{ claimed: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, [fixture("../../../plugins/scheduler/test/fixtures/claim-race.mjs"), file, id, String(at("2026-03-02T07:00:00Z")), String(startAt)], { stdio: ["ignore", "pipe", "inherit"] });
        let output = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output) as { claimed: boolean }) : reject(new Error(`claim-race exited with ${code}`))));
      });
    const results = await Promise.all(Array.from({ length: 6 }, race));

    expect(results.filter((result) => result.claimed)).toHaveLength(1);
    expect(world.runs(id)).toHaveLength(1);
    expect(iso(world.task(id).next_run_at)).toBe("2026-03-03T07:00:00.000Z");
  });
});
