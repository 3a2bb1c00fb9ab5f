/**
 * The scheduler in a real instance on a fake clock: cron, interval and one-shot tasks,
 * pause and resume, a run longer than the period, and the catch-up after downtime.
 * Agent runs are real (the scripted test agent); only the scheduler's time is fake.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, iso, World } from "./helpers/world.js";

const MINUTE = 60_000;
let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

describe("the scheduler", () => {
  it("fires a cron task at its time, arming one timer and never polling", async () => {
    const clock = new FakeClock(at("2026-06-01T06:00:00Z"));
    world = await World.start({ clock });
    const id = await world.addTask("--prompt", "morning report", "--cron", "0 7 * * *");
    expect(iso(world.task(id).next_run_at)).toBe("2026-06-01T07:00:00.000Z");

    // One timer, set to the due time: an hour passes with no wake-up at all.
    expect(clock.pending).toBe(1);
    expect(iso(clock.nextAt)).toBe("2026-06-01T07:00:00.000Z");
    const armed = clock.armed;
    clock.advance(59 * MINUTE);
    expect(clock.armed).toBe(armed);
    expect(world.runs(id)).toEqual([]);

    clock.advance(MINUTE);
    await world.settled();
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-06-01T07:00:00.000Z", "done"]]);
    expect(world.agentRuns().map((run) => run.texts)).toEqual([["morning report"]]);
    expect(world.replies()).toEqual(["echo: morning report (context: 0)"]);
    expect(iso(world.task(id).next_run_at)).toBe("2026-06-02T07:00:00.000Z");
    expect(iso(clock.nextAt)).toBe("2026-06-02T07:00:00.000Z");
  });

  it("fires an interval task from its anchor, and a one-shot task once", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    const every = await world.addTask("--prompt", "tick", "--every", "20m");
    const once = await world.addTask("--prompt", "only once", "--at", "2026-06-01T10:30:00+00:00");

    await world.stepTo(at("2026-06-01T11:05:00Z"));
    expect(world.runs(every).map((run) => iso(run.due_at))).toEqual(["2026-06-01T10:20:00.000Z", "2026-06-01T10:40:00.000Z", "2026-06-01T11:00:00.000Z"]);
    expect(world.runs(once).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-06-01T10:30:00.000Z", "done"]]);
    expect(world.task(once)).toMatchObject({ status: "completed", next_run_at: null });
    expect(world.agentRuns().flatMap((run) => run.texts)).toEqual(["tick", "only once", "tick", "tick"]);

    // Only the interval task has a timer left.
    await world.stepTo(at("2026-06-02T11:05:00Z"));
    expect(world.runs(once)).toHaveLength(1);
  });

  it("pause and resume", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    const id = await world.addTask("--prompt", "hourly", "--cron", "0 * * * *");
    expect(await world.cli("task", "pause", id)).toContain("paused");
    expect(clock.pending).toBe(0);

    await world.stepTo(at("2026-06-01T13:30:00Z"));
    expect(world.runs(id)).toEqual([]);

    expect(await world.cli("task", "resume", id)).toContain("next run 2026-06-01T14:00:00.000Z");
    await world.stepTo(at("2026-06-01T14:00:00Z"));
    expect(world.runs(id).map((run) => iso(run.due_at))).toEqual(["2026-06-01T14:00:00.000Z"]);

    const paused = await world.instance.kernel.runCli(["task", "resume", id]);
    expect(paused.exitCode).toBe(1);
    expect(paused.stderr).toContain(`task ${id} is active, not paused`);
  });

  it("run longer than the period", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    const id = await world.addTask("--prompt", "slow 2500", "--every", "15m");

    clock.set(at("2026-06-01T10:15:00Z"));
    await waitFor(() => world!.runs(id)[0]?.state === "running", { what: "the first run to start" });
    // The run goes on (2.5 s of real time) past two more due times.
    clock.set(at("2026-06-01T10:30:00Z"));
    clock.set(at("2026-06-01T10:45:00Z"));
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([
      ["2026-06-01T10:15:00.000Z", "running"],
      ["2026-06-01T10:30:00.000Z", "skipped"],
      ["2026-06-01T10:45:00.000Z", "skipped"],
    ]);
    expect(world.runs(id)[1]!.error).toBe("the run due at 2026-06-01T10:15:00.000Z was still going");

    await world.settled();
    await world.stepTo(at("2026-06-01T11:00:00Z"));
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([
      ["2026-06-01T10:15:00.000Z", "done"],
      ["2026-06-01T10:30:00.000Z", "skipped"],
      ["2026-06-01T10:45:00.000Z", "skipped"],
      ["2026-06-01T11:00:00.000Z", "done"],
    ]);
    expect(world.agentRuns()).toHaveLength(2);
    expect(iso(world.task(id).next_run_at)).toBe("2026-06-01T11:15:00.000Z");
  });

  it("runs a task whose times passed during downtime once at start-up", async () => {
    const clock = new FakeClock(at("2026-06-01T09:30:00Z"));
    world = await World.start({ clock });
    const dir = world.instance.dir;
    const id = await world.addTask("--prompt", "hourly", "--every", "1h");
    await world.instance.stop();

    // Five due times (10:30 to 14:30) pass while the instance is down.
    const later = new FakeClock(at("2026-06-01T15:00:00Z"));
    world = await World.start({ clock: later, dir });
    await waitFor(() => world!.runs(id).length === 1, { what: "the catch-up run" });
    await world.settled();
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-06-01T10:30:00.000Z", "done"]]);
    expect(world.agentRuns()).toHaveLength(1);
    expect(iso(world.task(id).next_run_at)).toBe("2026-06-01T15:30:00.000Z");
  });

  it("records the time as missed after downtime when catch-up is off", async () => {
    const clock = new FakeClock(at("2026-06-01T09:30:00Z"));
    world = await World.start({ clock, scheduler: { catchUp: "skip" } });
    const dir = world.instance.dir;
    const id = await world.addTask("--prompt", "hourly", "--every", "1h");
    await world.instance.stop();

    world = await World.start({ clock: new FakeClock(at("2026-06-01T15:00:00Z")), dir, scheduler: { catchUp: "skip" } });
    await waitFor(() => world!.runs(id).length === 1, { what: "the missed record" });
    expect(world.runs(id)).toEqual([expect.objectContaining({ state: "missed", error: "due at 2026-06-01T10:30:00.000Z while the instance was down; catch-up is off", message_seq: null })]);
    expect(world.agentRuns()).toEqual([]);
    expect(iso(world.task(id).next_run_at)).toBe("2026-06-01T15:30:00.000Z");

    // The next time runs as usual.
    await world.stepTo(at("2026-06-01T15:30:00Z"));
    expect(world.runs(id).map((run) => run.state)).toEqual(["missed", "done"]);
  });

  it("keeps an isolated task's runs apart from the chat's session, and a group task in it", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    const isolated = await world.addTask("--prompt", "isolated run", "--every", "1h", "--context", "isolated");
    const shared = await world.addTask("--prompt", "shared run", "--every", "1h");

    await world.stepTo(at("2026-06-01T12:00:00Z"));
    const sessions = (texts: string) => world!.agentRuns().filter((run) => run.texts.includes(texts)).map((run) => run.session_id);
    // A fresh session each isolated run (null: the agent starts one); the group task continues the chat's.
    expect(sessions("isolated run")).toEqual([null, null]);
    expect(sessions("shared run")[0]).toBeNull();
    expect(sessions("shared run")[1]).toMatch(/^scripted-run_/);
    const topics = world.db.prepare("SELECT DISTINCT route_topic FROM messages WHERE sender = 'local:main' ORDER BY route_topic").all() as Array<{ route_topic: string }>;
    expect(topics.map((row) => row.route_topic)).toEqual(["", `task-${isolated}`]);
    // Both replied in the chat itself.
    expect(world.replies().filter((text) => text.startsWith("echo: isolated run"))).toHaveLength(2);
    expect(shared).toMatch(/^tsk_/);
  });

  it("marks a task failed when its group is gone", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    world.instance.kernel.groups.add("main/reports", "Reports");
    const id = (/added task (tsk_[0-9a-f]+)/.exec(await world.cli("task", "add", "--group", "main/reports", "--chat", "web:local/ops", "--prompt", "x", "--every", "1h"))![1])!;
    await world.cli("group", "rm", "main/reports");

    await world.stepTo(at("2026-06-01T11:00:00Z"));
    expect(world.task(id)).toMatchObject({ status: "failed", next_run_at: null });
    expect(world.task(id).error).toContain("could not run:");
    expect(world.runs(id).map((run) => run.state)).toEqual(["failed"]);
    expect(clock.pending).toBe(0);
  });
});
