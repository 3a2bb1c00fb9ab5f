import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StoredMessage } from "@arizuko/sdk";
import { HOOK_CATALOG, HOOK_NAMES, POLICY_BY_KIND } from "../src/hooks/catalog.js";
import { Hooks, type TapFailure } from "../src/hooks/hooks.js";

/** Creates a `Hooks` with a silent logger and records every tap failure it reports. */
function silentHooks(): { hooks: Hooks; failures: TapFailure[] } {
  const failures: TapFailure[] = [];
  const hooks = new Hooks(pino({ level: "silent" }), (failure) => failures.push(failure));
  return { hooks, failures };
}

/** Creates a `Hooks` that keeps its log lines in memory as parsed JSON. */
function loggedHooks(): { hooks: Hooks; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const hooks = new Hooks(pino({ level: "info" }, stream), () => {});
  return { hooks, lines };
}

const never = () => new Promise<never>(() => {});

const toolCall = { tool: "search", args: {}, runId: "run-1", group: "main", senderRole: "member" as const };

const message = {
  id: "msg-1",
  seq: 42,
  chat: "web:local/c1",
  topic: "",
  sender: "web:visitor-1",
  text: "hello",
} as unknown as StoredMessage;

const initialDecision = { owner: null, target: null, topic: "", mode: "run" as const, layer: null, reason: "no route" };

afterEach(() => {
  vi.useRealTimers();
});

describe("hook catalog", () => {
  const expectedKinds = {
    onBoot: "observer",
    onReady: "observer",
    onShutdown: "observer",
    onPluginError: "observer",
    onChannelRegister: "observer",
    onChannelStatus: "observer",
    afterStore: "observer",
    afterDelete: "observer",
    onAdmit: "gate",
    onControl: "bail",
    onResolve: "waterfall",
    afterRoute: "observer",
    onEnrich: "waterfall",
    onEnqueue: "observer",
    beforeAgentRun: "waterfall",
    onPromptBuild: "waterfall",
    onAgentStart: "observer",
    onAgentOutput: "observer",
    afterAgentRun: "observer",
    onAgentError: "observer",
    onToolRegister: "observer",
    beforeToolCall: "gate",
    afterToolCall: "observer",
    onOutbound: "waterfall",
    afterDelivery: "observer",
    onDeliveryFailed: "observer",
    onAuthenticate: "gate",
    onUserCreated: "observer",
    onGrantCheck: "gate",
    onTaskDue: "observer",
    afterTaskRun: "observer",
  };

  it("lists every designed hook", () => {
    expect([...HOOK_NAMES].sort()).toEqual(Object.keys(expectedKinds).sort());
  });

  it.each(Object.entries(expectedKinds))("declares %s as %s", (name, kind) => {
    expect(HOOK_CATALOG[name as keyof typeof HOOK_CATALOG].kind).toBe(kind);
  });

  it("gives every hook a positive timeout", () => {
    const timeouts = HOOK_NAMES.map((name) => [name, HOOK_CATALOG[name].timeoutMs] as const);
    expect(timeouts.filter(([, ms]) => !(Number.isFinite(ms) && ms > 0))).toEqual([]);
  });

  it("maps kinds to failure policies", () => {
    expect(POLICY_BY_KIND).toEqual({ gate: "deny", waterfall: "skip", bail: "skip", observer: "log" });
  });
});

describe("gate hooks", () => {
  it("denies when a tap returns deny", async () => {
    const { hooks } = silentHooks();
    hooks.tap("beforeToolCall", "guard", () => ({ deny: "not today" }));

    expect(await hooks.gate("beforeToolCall", toolCall)).toEqual({ deny: "not today" });
  });

  it("passes when no tap denies", async () => {
    const { hooks } = silentHooks();
    hooks.tap("beforeToolCall", "quiet", () => undefined);

    expect(await hooks.gate("beforeToolCall", toolCall)).toBeNull();
  });

  it.each([
    ["an allow object", { allow: true }],
    ["true", true],
    ["a deny that is not text", { deny: 1 }],
    ["null", null],
  ])("ignores %s from a tap", async (_case, returned) => {
    const { hooks } = silentHooks();
    hooks.tap("onGrantCheck", "widener", (() => returned) as never);
    hooks.tap("onGrantCheck", "core", () => ({ deny: "core says no" }));

    expect(await hooks.gate("onGrantCheck", { action: "send", params: {}, group: "main", senderRole: "guest" })).toEqual({
      deny: "core says no",
    });
  });

  it("stops at the first denial", async () => {
    const { hooks } = silentHooks();
    const later = vi.fn();
    hooks.tap("onAdmit", "first", () => ({ deny: "first" }));
    hooks.tap("onAdmit", "second", later);

    await hooks.gate("onAdmit", { message, channel: "web" });
    expect(later).not.toHaveBeenCalled();
  });

  it("denies when a tap throws", async () => {
    const { hooks, failures } = silentHooks();
    hooks.tap("onAuthenticate", "flaky-auth", () => {
      throw new Error("directory offline");
    });

    const denial = await hooks.gate("onAuthenticate", { user: "u1", provider: "password" });
    expect(denial?.deny).toContain("flaky-auth");
    expect(denial?.deny).toContain("directory offline");
    expect(failures).toEqual([
      { plugin: "flaky-auth", hook: "onAuthenticate", policy: "deny", error: "directory offline", timedOut: false },
    ]);
  });

  it("denies a hung tap after timeout", async () => {
    vi.useFakeTimers();
    const { hooks, failures } = silentHooks();
    hooks.tap("beforeToolCall", "sleepy", never);

    let settled: unknown = "pending";
    const pending = hooks.gate("beforeToolCall", toolCall).then((result) => (settled = result));
    await vi.advanceTimersByTimeAsync(HOOK_CATALOG.beforeToolCall.timeoutMs - 1);
    expect(settled).toBe("pending");

    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect((settled as { deny: string }).deny).toContain("sleepy");
    expect(failures).toEqual([
      expect.objectContaining({ plugin: "sleepy", hook: "beforeToolCall", policy: "deny", timedOut: true }),
    ]);
  });
});

describe("waterfall hooks", () => {
  it("passes the value in stage order", async () => {
    const { hooks } = silentHooks();
    hooks.tap("onPromptBuild", "late", ({ prompt }) => ({ prompt: prompt + "-300" }), { stage: 300 });
    hooks.tap("onPromptBuild", "early", ({ prompt }) => ({ prompt: prompt + "-100" }), { stage: 100 });
    hooks.tap("onPromptBuild", "middle", ({ prompt }) => ({ prompt: prompt + "-200" }), { stage: 200 });

    const result = await hooks.waterfall("onPromptBuild", { prompt: "p" }, { spec: {} as never });
    expect(result).toEqual({ prompt: "p-100-200-300" });
  });

  it("skips a throwing tap", async () => {
    const { hooks, failures } = silentHooks();
    const seen: string[] = [];
    hooks.tap("onOutbound", "first", ({ text }) => ({ text: text + "+first" }), { stage: 1 });
    hooks.tap("onOutbound", "broken", () => {
      throw new Error("formatter crashed");
    }, { stage: 2 });
    hooks.tap("onOutbound", "last", ({ text }) => {
      seen.push(text);
      return { text: text + "+last" };
    }, { stage: 3 });

    const result = await hooks.waterfall("onOutbound", { text: "hi" }, { chunk: {} as never, channel: "web" });
    expect(seen).toEqual(["hi+first"]);
    expect(result).toEqual({ text: "hi+first+last" });
    expect(failures).toEqual([
      { plugin: "broken", hook: "onOutbound", policy: "skip", error: "formatter crashed", timedOut: false },
    ]);
  });

  it("keeps the value on undefined", async () => {
    const { hooks } = silentHooks();
    hooks.tap("onEnrich", "noop", () => undefined);
    hooks.tap("onEnrich", "adder", ({ notes }) => ({ notes: [...notes, "caption"] }));

    const result = await hooks.waterfall("onEnrich", { notes: ["start"] }, { message, group: "main", groupPath: "/tmp/main" });
    expect(result).toEqual({ notes: ["start", "caption"] });
  });

  it("skips a hung tap after timeout", async () => {
    vi.useFakeTimers();
    const { hooks, failures } = silentHooks();
    hooks.tap("onResolve", "sleepy", never, { stage: 1 });
    hooks.tap("onResolve", "table", (decision) => ({ ...decision, target: "main" }), { stage: 2 });

    const pending = hooks.waterfall("onResolve", initialDecision, { message, channel: "web" });
    await vi.advanceTimersByTimeAsync(HOOK_CATALOG.onResolve.timeoutMs);
    expect((await pending).target).toBe("main");
    expect(failures).toEqual([expect.objectContaining({ plugin: "sleepy", policy: "skip", timedOut: true })]);
  });
});

describe("bail hooks", () => {
  it("returns the first result", async () => {
    const { hooks } = silentHooks();
    const third = vi.fn();
    hooks.tap("onControl", "pass", () => undefined);
    hooks.tap("onControl", "sticky", () => ({ reason: "sticky set" }));
    hooks.tap("onControl", "commands", third);

    expect(await hooks.bail("onControl", message, { channel: "web" })).toEqual({ reason: "sticky set" });
    expect(third).not.toHaveBeenCalled();
  });

  it("returns null when no tap answers", async () => {
    const { hooks } = silentHooks();
    hooks.tap("onControl", "pass", () => undefined);

    expect(await hooks.bail("onControl", message, { channel: "web" })).toBeNull();
  });

  it("skips a throwing tap", async () => {
    const { hooks, failures } = silentHooks();
    hooks.tap("onControl", "broken", () => {
      throw new Error("bad command table");
    });
    hooks.tap("onControl", "commands", () => ({ reason: "handled /help" }));

    expect(await hooks.bail("onControl", message, { channel: "web" })).toEqual({ reason: "handled /help" });
    expect(failures).toEqual([
      { plugin: "broken", hook: "onControl", policy: "skip", error: "bad command table", timedOut: false },
    ]);
  });
});

describe("observer hooks", () => {
  it("runs every tap", async () => {
    const { hooks } = silentHooks();
    const calls: string[] = [];
    hooks.tap("afterDelivery", "a", () => void calls.push("a"));
    hooks.tap("afterDelivery", "b", () => void calls.push("b"));
    hooks.tap("afterDelivery", "c", () => void calls.push("c"));

    await hooks.observe("afterDelivery", { chunk: {} as never, channel: "web", platformMessageId: "p1" });
    expect(calls.sort()).toEqual(["a", "b", "c"]);
  });

  it("isolates a throwing tap", async () => {
    const { hooks, failures } = silentHooks();
    const calls: string[] = [];
    hooks.tap("onTaskDue", "before", () => void calls.push("before"));
    hooks.tap("onTaskDue", "broken", () => {
      throw new Error("scheduler bug");
    });
    hooks.tap("onTaskDue", "async-broken", async () => {
      throw new Error("async scheduler bug");
    });
    hooks.tap("onTaskDue", "after", () => void calls.push("after"));

    await expect(hooks.observe("onTaskDue", { taskId: "t1", group: "main" })).resolves.toBeUndefined();
    expect(calls.sort()).toEqual(["after", "before"]);
    expect(failures.map((failure) => [failure.plugin, failure.policy]).sort()).toEqual([
      ["async-broken", "log"],
      ["broken", "log"],
    ]);
  });

  it("runs taps concurrently", async () => {
    const { hooks } = silentHooks();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    hooks.tap("onEnqueue", "slow", async () => {
      started.push("slow");
      await gate;
    });
    hooks.tap("onEnqueue", "fast", () => void started.push("fast"));

    const done = hooks.observe("onEnqueue", { message, unit: { group: "main", chat: message.chat, topic: "" } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["slow", "fast"]);
    release();
    await done;
  });
});

describe("tap disposers", () => {
  it("removes the tap", async () => {
    const { hooks } = silentHooks();
    const tap = vi.fn();
    const dispose = hooks.tap("onBoot", "temp", tap);

    dispose();
    await hooks.observe("onBoot", { dataDir: "/tmp" });
    expect(tap).not.toHaveBeenCalled();
    expect(hooks.tappers("onBoot")).toEqual([]);
  });

  it("ignores a second dispose", async () => {
    const { hooks } = silentHooks();
    const kept = vi.fn();
    const dispose = hooks.tap("onReady", "temp", () => {});
    hooks.tap("onReady", "kept", kept);

    dispose();
    dispose();
    await hooks.observe("onReady", { url: "http://127.0.0.1:1" });
    expect(hooks.tappers("onReady")).toEqual(["kept"]);
    expect(kept).toHaveBeenCalledTimes(1);
  });

  it("removes only its own tap", async () => {
    const { hooks } = silentHooks();
    hooks.tap("onPromptBuild", "a", ({ prompt }) => ({ prompt: prompt + "a" }));
    const disposeB = hooks.tap("onPromptBuild", "b", ({ prompt }) => ({ prompt: prompt + "b" }));
    hooks.tap("onPromptBuild", "c", ({ prompt }) => ({ prompt: prompt + "c" }));

    disposeB();
    expect(await hooks.waterfall("onPromptBuild", { prompt: "" }, { spec: {} as never })).toEqual({ prompt: "ac" });
  });

  it("lists tappers in call order", () => {
    const { hooks } = silentHooks();
    hooks.tap("onResolve", "override", () => undefined, { stage: 400 });
    hooks.tap("onResolve", "route-table", () => undefined, { stage: 100 });
    hooks.tap("onResolve", "sticky", () => undefined, { stage: 200 });
    hooks.tap("onResolve", "default-stage", () => undefined);

    expect(hooks.tappers("onResolve")).toEqual(["default-stage", "route-table", "sticky", "override"]);
  });
});

describe("tap failure logs", () => {
  it("name plugin, hook and message", async () => {
    const { hooks, lines } = loggedHooks();
    hooks.tap("afterStore", "indexer", () => {
      throw new Error("index full");
    });

    await hooks.observe("afterStore", { message });
    const failure = lines.find((line) => line.msg === "hook tap failed; logged");
    expect(failure).toBeDefined();
    expect(failure!.plugin).toBe("indexer");
    expect(failure!.hook).toBe("afterStore");
    expect(failure!.messageId).toBe("msg-1");
    expect(failure!.seq).toBe(42);
    expect(failure!.chat).toBe("web:local/c1");
    expect(failure!.err).toBe("index full");
  });

  it("name the run of a run event", async () => {
    const { hooks, lines } = loggedHooks();
    hooks.tap("afterAgentRun", "metrics", () => {
      throw new Error("counter overflow");
    });

    await hooks.observe("afterAgentRun", {
      runId: "run-9",
      unit: { group: "main", chat: "web:local/c1", topic: "" },
      outcome: "done",
      delivered: 1,
      durationMs: 10,
      error: null,
    });
    const failure = lines.find((line) => line.msg === "hook tap failed; logged");
    expect(failure).toMatchObject({ plugin: "metrics", hook: "afterAgentRun", runId: "run-9" });
  });
});
