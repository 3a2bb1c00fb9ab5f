/**
 * A plugin that throws, or never settles, in every hook it can tap. The host stays up,
 * the other plugins keep working, and each bad tap costs at most its hook's timeout.
 * Gates fail closed by design: a gate tap that throws or hangs denies, so with a rogue
 * gate tap messages are kept but start nothing.
 */
import { definePlugin, type HookName } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { HOOK_CATALOG, HOOK_NAMES } from "../../src/hooks/catalog.js";
import { fixtureAgent, startInstance, type TestInstance } from "../helpers/instance.js";
import { waitFor } from "../helpers/wait.js";

/** Every hook's timeout in these tests, so hung taps cost little time. */
const TIMEOUT_MS = 150;
const GATES = HOOK_NAMES.filter((name) => HOOK_CATALOG[name].kind === "gate");

type Misbehaviour = "throws" | "hangs";

function rogue(misbehaviour: Misbehaviour, hooks: readonly HookName[]) {
  let calls = 0;
  const plugin = definePlugin({
    name: "rogue",
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      for (const name of hooks) {
        const tap = host.hooks[name].tap as (fn: () => unknown) => unknown;
        tap(() => {
          calls += 1;
          if (misbehaviour === "throws") throw new Error(`rogue ${name}`);
          return new Promise(() => {});
        });
      }
    },
  });
  return { plugin, calls: () => calls };
}

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function start(misbehaviour: Misbehaviour, hooks: readonly HookName[]) {
  const bad = rogue(misbehaviour, hooks);
  const timeoutsMs = Object.fromEntries(HOOK_NAMES.map((name) => [name, TIMEOUT_MS]));
  const started = Date.now();
  instance = await startInstance({
    config: { runner: { command: fixtureAgent("scripted.mjs") }, hooks: { timeoutsMs } },
    plugins: [{ definition: bad.plugin }],
  });
  return { bad, startMs: Date.now() - started };
}

function stateOf(text: string) {
  return (instance!.kernel.store.db.prepare("SELECT state, route_reason FROM messages WHERE text = ?").get(text) ?? {}) as { state?: string; route_reason?: string };
}

describe.each<Misbehaviour>(["throws", "hangs"])("a plugin that %s in every hook", (misbehaviour) => {
  it("leaves the other plugins answering", async () => {
    const hooks = HOOK_NAMES.filter((name) => !GATES.includes(name));
    const { bad } = await start(misbehaviour, hooks);
    const visitor = instance!.client();

    const posted = Date.now();
    await visitor.say("c1", "still answered");
    await waitFor(() => stateOf("still answered").state === "done", { timeoutMs: 20_000, what: "the answer" });
    const elapsed = Date.now() - posted;

    // Flow hooks on the way: onControl, onResolve, onEnrich, beforeAgentRun, onPromptBuild, onOutbound.
    expect(elapsed).toBeLessThan(6 * TIMEOUT_MS + 3000);
    expect(bad.calls()).toBeGreaterThan(5);
    const reply = instance!.kernel.store.db.prepare("SELECT text FROM messages WHERE direction = 'out'").get() as { text: string };
    expect(reply.text).toBe("echo: still answered (context: 0)");

    const health = await visitor.get("/health");
    expect(health.body.plugins.rogue.state).toBe("degraded");
    expect(health.body.plugins.web).toEqual({ state: "ok" });
  }, 60_000);

  it("keeps messages a rogue gate denies", async () => {
    await start(misbehaviour, GATES);
    const visitor = instance!.client();

    expect((await visitor.say("c1", "kept anyway")).status).toBe(202);
    await waitFor(() => stateOf("kept anyway").state === "context", { timeoutMs: 10_000, what: "the denial" });

    expect(stateOf("kept anyway").route_reason).toMatch(/^not admitted: rogue failed in onAdmit: /);
    const history = await visitor.get("/web/chats/c1/messages");
    expect(history.body.messages.map((message: { text: string }) => message.text)).toEqual(["kept anyway"]);
  }, 60_000);
});

describe.runIf(process.env.ARIZUKO_SOAK)("a plugin that hangs in every hook, for long", () => {
  it("reports the memory it costs", async () => {
    await start("hangs", HOOK_NAMES.filter((name) => !GATES.includes(name)));
    const visitor = instance!.client();
    await visitor.get("/");

    const samples: Array<[number, number]> = [];
    for (let round = 1; round <= 10; round += 1) {
      await Promise.all(Array.from({ length: 200 }, (_, index) => visitor.say(`soak-${index % 20}`, `round ${round} message ${index}`)));
      await waitFor(
        () => (instance!.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state <> 'done'").get() as { n: number }).n === 0,
        { timeoutMs: 120_000, what: `round ${round}` },
      );
      samples.push([round * 200, process.memoryUsage().heapUsed / 1_048_576]);
    }
    // Printed for the soak report; a slope is too noisy to assert on a shared machine.
    console.log(`heap under a hanging plugin (messages, MB): ${samples.map(([n, mb]) => `${n}:${mb.toFixed(1)}`).join(" ")}`);
    expect(samples).toHaveLength(10);
  }, 600_000);
});

