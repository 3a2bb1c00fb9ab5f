import { definePlugin, Permanent, RateLimited, Transient, Unknown, type ChannelContext, type OutboundChunk } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

/** What the fake platform does with each send, in order; then it accepts everything. */
type Outcome = "ok" | "rate-limited" | "transient" | "permanent" | "unknown";

interface Sent {
  chunk: OutboundChunk;
  at: number;
}

/** A loopback channel for tests: inbound through `say`, sends recorded and scripted. */
function testChannel(options: { outcomes?: Outcome[]; confirm?: boolean; maxTextLength?: number } = {}) {
  const outcomes = [...(options.outcomes ?? [])];
  const sent: Sent[] = [];
  const failed: string[] = [];
  let context: ChannelContext | null = null;
  let next = 1;

  const plugin = definePlugin({
    name: "test-channel",
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      host.channels.register({
        name: "test",
        prefixes: ["test:bot/"],
        capabilities: { send: true, reply: true, confirm: options.confirm ?? false, maxTextLength: options.maxTextLength ?? 1000 },
        start(ctx) {
          context = ctx;
        },
        async send(chunk) {
          sent.push({ chunk, at: Date.now() });
          const outcome = outcomes.shift() ?? "ok";
          if (outcome === "rate-limited") throw new RateLimited(300);
          if (outcome === "transient") throw new Transient("connection reset");
          if (outcome === "permanent") throw new Permanent("chat not found");
          if (outcome === "unknown") throw new Unknown("timed out after the request was sent");
          return { platformMessageId: `p${next++}` };
        },
        async confirm() {
          return null;
        },
      });
      host.hooks.onDeliveryFailed.tap(({ error }) => {
        failed.push(error);
      });
    },
  });

  const say = (chat: string, text: string, id: string) =>
    context!.inbound({ chat: `test:bot/${chat}`, platformId: id, verb: "message", sender: "test:alice", text });
  return { plugin, sent, failed, say };
}

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function start(channel: ReturnType<typeof testChannel>, config: Record<string, unknown> = {}) {
  instance = await startInstance({
    config: { runner: { command: fixtureAgent("scripted.mjs") }, admission: { test: { policy: "open" } }, ...config },
    plugins: [{ definition: channel.plugin }],
  });
  const added = await instance.kernel.runCli(["route", "add", "platform=test", "main"]);
  expect(added.exitCode).toBe(0);
  return instance;
}

function outbox(target: TestInstance) {
  return target.kernel.store.db.prepare("SELECT state, attempts, reply_to, platform_message_id, error FROM outbox ORDER BY message_seq, chunk_index").all() as Array<{
    state: string;
    attempts: number;
    reply_to: string | null;
    platform_message_id: string | null;
    error: string | null;
  }>;
}

describe("outbox delivery", () => {
  it("passes the reply target to send", async () => {
    const channel = testChannel();
    await start(channel);
    await channel.say("-1001000000007", "what is the answer?", "555");

    await waitFor(() => channel.sent.length === 1, { what: "the reply" });
    expect(channel.sent[0]!.chunk).toMatchObject({ chat: "test:bot/-1001000000007", replyTo: "555", index: 0, count: 1 });
    expect(outbox(instance!)).toEqual([{ state: "delivered", attempts: 0, reply_to: "555", platform_message_id: "p1", error: null }]);
  });

  it("waits exactly as long as a rate limit asks", async () => {
    const channel = testChannel({ outcomes: ["rate-limited"] });
    await start(channel);
    await channel.say("c1", "hello", "1");

    await waitFor(() => channel.sent.length === 2, { what: "the second attempt" });
    expect(channel.sent[1]!.at - channel.sent[0]!.at).toBeGreaterThanOrEqual(300);
    expect(channel.sent[1]!.chunk.outboxId).toBe(channel.sent[0]!.chunk.outboxId);
    expect(outbox(instance!)[0]).toMatchObject({ state: "delivered", attempts: 0 });
  });

  it("keeps chat order behind a rate limit", async () => {
    const channel = testChannel({ outcomes: ["rate-limited"] });
    await start(channel);
    await channel.say("c1", "twice", "1");

    await waitFor(() => channel.sent.filter((entry) => entry.chunk.text.endsWith("reply")).length === 3, { what: "both replies" });
    expect(channel.sent.map((entry) => entry.chunk.text)).toEqual(["first reply", "first reply", "second reply"]);
  });

  it("retries a transient failure with backoff", async () => {
    const channel = testChannel({ outcomes: ["transient"] });
    await start(channel);
    await channel.say("c1", "hello", "1");

    await waitFor(() => outbox(instance!)[0]?.state === "delivered", { what: "the retry" });
    expect(channel.sent).toHaveLength(2);
    expect(channel.sent[1]!.at - channel.sent[0]!.at).toBeGreaterThanOrEqual(900);
    expect(outbox(instance!)[0]!.attempts).toBe(1);
  });

  it("does not retry a permanent failure", async () => {
    const channel = testChannel({ outcomes: ["permanent"] });
    await start(channel);
    await channel.say("c1", "hello", "1");

    await waitFor(() => outbox(instance!)[0]?.state === "failed", { what: "the failure" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(channel.sent).toHaveLength(1);
    expect(outbox(instance!)[0]).toMatchObject({ state: "failed", attempts: 1, error: "chat not found" });
    expect(channel.failed).toEqual(["chat not found"]);
  });

  it("sends an unknown outcome at most once", async () => {
    const channel = testChannel({ outcomes: ["unknown"] });
    await start(channel);
    await channel.say("c1", "hello", "1");

    await waitFor(() => outbox(instance!)[0]?.state === "failed", { what: "the failure" });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(channel.sent).toHaveLength(1);
    expect(instance!.kernel.delivery.counters.unknownOutcomes).toBe(1);
  });

  it("retries an unknown outcome when the channel confirms", async () => {
    const channel = testChannel({ outcomes: ["unknown"], confirm: true });
    await start(channel);
    await channel.say("c1", "hello", "1");

    await waitFor(() => outbox(instance!)[0]?.state === "delivered", { what: "the retry" });
    expect(channel.sent).toHaveLength(2);
  });

  it("splits to the channel's limit", async () => {
    const channel = testChannel({ maxTextLength: 300 });
    await start(channel);
    await channel.say("c1", "long 1000", "1");

    await waitFor(() => channel.sent.length === 4, { what: "four chunks" });
    expect(channel.sent.map((entry) => entry.chunk.text.length)).toEqual([300, 300, 300, 100]);
    expect(channel.sent.map((entry) => entry.chunk.replyTo)).toEqual(["1", null, null, null]);
  });
});

describe("channel capabilities", () => {
  it("refuses a capability the channel lacks", async () => {
    await start(testChannel());

    expect(() => instance!.kernel.channels.require("test:bot/c1", "edit")).toThrow(
      expect.objectContaining({ code: "ARZ_ERR_CAPABILITY_UNSUPPORTED", message: "channel test does not support edit; check its capabilities before calling it" }),
    );
    expect(instance!.kernel.channels.require("test:bot/c1", "reply").channel.name).toBe("test");
  });
});

describe("resource bounds", () => {
  it("releases per-chat state once idle", async () => {
    const channel = testChannel();
    await start(channel);
    const chats = Array.from({ length: 200 }, (_, index) => `chat-${index}`);
    await Promise.all(chats.map((chat, index) => channel.say(chat, "hello", String(index))));

    await waitFor(() => channel.sent.length === 200, { timeoutMs: 60_000, what: "200 replies" });
    const { kernel } = instance!;
    await waitFor(() => kernel.queue.activeRuns === 0 && kernel.queue.waitingUnits === 0, { what: "an idle queue" });
    await kernel.intake.idle();
    expect(kernel.intake.activeChats).toBe(0);
    expect(kernel.delivery.waiting).toBe(0);
    expect(kernel.executor.running).toBe(0);
  });
});
