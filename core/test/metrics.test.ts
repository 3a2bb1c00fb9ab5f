/**
 * `GET /metrics`: Prometheus text for operators only, with counters that move when a
 * message comes in, is routed, runs, calls a tool and gets a reply, and a plugin's
 * failing tap counted by plugin and hook.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { definePlugin, HOST_API_VERSION } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

/** A plugin whose afterStore tap always throws. */
const faulty = definePlugin({
  name: "faulty",
  version: "0.0.0",
  apiVersion: HOST_API_VERSION,
  register(host) {
    host.hooks.afterStore.tap(() => {
      throw new Error("broken on purpose");
    });
  },
});

async function scrape(): Promise<{ status: number; type: string | null; text: string }> {
  const token = readFileSync(join(instance!.dataDir, "admin.token"), "utf8").trim();
  const response = await fetch(`${instance!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** Returns the value of one sample, e.g. `arizuko_runs_total{outcome="done"}`, or 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("/metrics", () => {
  it("answers operators only", async () => {
    instance = await startInstance();
    expect((await fetch(`${instance.url}/metrics`)).status).toBe(401);
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain("text/plain; version=0.0.4");
    expect(text).toContain("# TYPE arizuko_messages_inbound_total counter");
    expect(text).toContain("# TYPE arizuko_run_duration_seconds histogram");
    expect(text).toContain("arizuko_queue_depth 0");
    expect(text).toContain("arizuko_process_resident_memory_bytes");
  });

  it("counters follow a message", async () => {
    instance = await startInstance({ plugins: [{ definition: faulty }] });
    const before = (await scrape()).text;
    expect(sample(before, 'arizuko_messages_inbound_total{platform="web"}')).toBe(0);

    const visitor = instance.client();
    expect((await visitor.say("m1", "call list_groups")).status).toBe(202);
    await waitFor(async () => sample((await scrape()).text, 'arizuko_messages_outbound_total{platform="web"}') >= 1, { what: "the answer to be counted" });
    await waitFor(async () => sample((await scrape()).text, 'arizuko_runs_total{outcome="done"}') === 1, { what: "the run to be counted" });

    const after = (await scrape()).text;
    expect(sample(after, 'arizuko_messages_inbound_total{platform="web"}')).toBe(1);
    expect(sample(after, 'arizuko_routing_decisions_total{layer="route-table"}')).toBe(1);
    expect(sample(after, "arizuko_run_duration_seconds_count")).toBe(1);
    expect(sample(after, 'arizuko_tool_calls_total{tool="list_groups",verdict="ok"}')).toBe(1);
    expect(sample(after, "arizuko_runs_active")).toBe(0);
    // The faulty plugin's tap failed for the inbound message and for the stored reply.
    expect(sample(after, 'arizuko_plugin_errors_total{plugin="faulty",hook="afterStore"}')).toBeGreaterThanOrEqual(2);
  });
});
