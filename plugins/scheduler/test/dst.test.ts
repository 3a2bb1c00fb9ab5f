/**
 * A daily 02:30 task in Europe/Berlin through the 2026 daylight-saving nights, in a real
 * instance on a fake clock. On 29 March the clocks jump from 02:00 to 03:00, so 02:30
 * does not exist: the task runs at 03:00 that day (no day skipped). On 25 October 02:30
 * happens twice (summer time, then winter time): the task runs at the first one only.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, iso, World } from "./helpers/world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

async function firesBetween(from: string, until: string, cron: string): Promise<string[]> {
  world = await World.start({ clock: new FakeClock(at(from)) });
  const id = await world.addTask("--prompt", "daily", "--cron", cron, "--zone", "Europe/Berlin");
  await world.stepTo(at(until));
  const runs = world.runs(id);
  expect(runs.every((run) => run.state === "done")).toBe(true);
  expect(world.agentRuns()).toHaveLength(runs.length);
  return runs.map((run) => iso(run.due_at)!);
}

describe("cron through the daylight-saving nights of Europe/Berlin, 2026", () => {
  it("runs once a day around the spring-forward night, at 03:00 on 29 March", async () => {
    expect(await firesBetween("2026-03-27T00:00:00Z", "2026-03-31T12:00:00Z", "30 2 * * *")).toEqual([
      "2026-03-27T01:30:00.000Z", // 02:30 CET
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, the first instant after the skipped hour
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("fall-back night: first 02:30 only", async () => {
    expect(await firesBetween("2026-10-23T00:00:00Z", "2026-10-27T12:00:00Z", "30 2 * * *")).toEqual([
      "2026-10-23T00:30:00.000Z", // 02:30 CEST
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST); the second, 01:30Z, does not run
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("keeps a half-hourly task's real-time rhythm through both nights", async () => {
    const spring = await firesBetween("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z", "*/30 * * * *");
    expect(spring).toEqual(["2026-03-29T00:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-29T02:00:00.000Z"]);
    await world!.instance.dispose();
    world = undefined;

    const autumn = await firesBetween("2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "*/30 * * * *");
    expect(autumn).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T01:30:00.000Z", "2026-10-25T02:00:00.000Z"]);
  });
});
