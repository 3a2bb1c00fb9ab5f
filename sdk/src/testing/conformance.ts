/**
 * The channel conformance kit: properties every channel plugin must have, checked
 * against a real core (the test host) and the author's fake of their platform, driven
 * through a small `PlatformDriver`. `runChannelConformance` registers one vitest test
 * per property; `CONFORMANCE_PROPERTIES` lets other runners call them directly. Each
 * failure names the property, what the kit observed, and what to change.
 */
import { createHook } from "node:async_hooks";
import { describe, it } from "vitest";
import type { ChannelCapabilities } from "../channel.js";
import type { StoredMessage } from "../messages.js";
import { createTestHost, type TestHost } from "./host.js";

/** A platform event, as the author's fake delivers it to the channel. */
export type PlatformEvent =
  | { type: "message"; id: string; sender: string; text: string; mention?: boolean; replyTo?: string; topic?: string }
  | { type: "edit"; id: string; revision: string; sender: string; text: string }
  | { type: "reaction"; id: string; sender: string; emoji: string };

export type SendOutcome = "ok" | "rate_limited" | "transient" | "permanent";

/** Maps an HTTP-style status the fake returned to a send outcome, for drivers whose fakes use status codes. */
export function sendOutcomeOf(status: number): SendOutcome {
  if (status === 200) return "ok";
  if (status === 429) return "rate_limited";
  return status >= 500 ? "transient" : "permanent";
}

/** One call the channel made to the platform's send API. */
export interface SendAttempt {
  chat: string;
  text: string;
  replyTo: string | null;
  topic: string;
  /** When the platform received it, ms since the epoch. */
  at: number;
  outcome: SendOutcome;
}

export type SendFailure = { kind: "rate_limited"; retryAfterMs: number } | { kind: "transient" } | { kind: "permanent" };

/** The author's handle on their fake platform; one driver per test. */
export interface PlatformDriver {
  /** The plugin's config, pointing the channel at this fake. */
  config?: Record<string, unknown>;
  /**
   * Tells the fake where the host listens, after it starts and after each restart,
   * because the port changes. Platforms that call the host (adapters over HTTP) need it.
   */
  connect?(hostUrl: string): Promise<void> | void;
  /** Makes the platform deliver `event` in the conformance chat. Delivering the same event again is a redelivery. */
  deliver(event: PlatformEvent): Promise<void> | void;
  /**
   * Registers a listener the fake calls synchronously when the channel acknowledges an
   * event. Platforms that push events without acknowledgements (Discord's gateway) leave
   * it out: the kit then skips the acknowledgement checks, and the channel must fetch
   * what a stop lost from the platform's history instead.
   */
  onAck?(listener: (event: PlatformEvent) => void): void;
  /** Every send the channel attempted, in order. */
  sendAttempts(): SendAttempt[];
  /** Makes the platform reject the next send with `failure`. */
  failNextSend(failure: SendFailure): void;
  /** Cuts the channel off the platform; events delivered meanwhile wait on the platform. */
  disconnect?(): void;
  /** Lets the channel reach the platform again. */
  reconnect?(): void;
  /** Releases the fake (servers, timers). */
  close?(): Promise<void> | void;
  /**
   * The platform's id for one the kit made up (`map-1`, `thread-7`), for platforms whose
   * ids have a form of their own (Telegram's are numbers): a message id or a thread id,
   * as the channel stores and sends it. The driver delivers events under these ids.
   * Default: the kit's id unchanged.
   */
  platformId?(kind: "message" | "topic", id: string): string;
}

export interface ConformanceOptions {
  /** The plugin under test (what `definePlugin` returned). */
  plugin: unknown;
  /** A chat JID the channel owns, where every event happens, e.g. `console:local/room1`. */
  chat: string;
  /** Two sender JIDs of the platform. */
  senders: [string, string];
  /** Makes a fresh fake platform and its driver. */
  driver: () => PlatformDriver | Promise<PlatformDriver>;
  /** How long an event may take to be stored or a reply to be sent, in ms; default 5000. */
  timeoutMs?: number;
}

/** A property the channel does not have; the message names what to change. */
export class ConformanceFailure extends Error {
  constructor(property: string, problem: string) {
    super(`${property}: ${problem}`);
    this.name = "ConformanceFailure";
  }
}

/** A property check's input: a running host with the plugin, and the driver of a fresh fake. */
export interface ConformanceContext {
  host: TestHost;
  driver: PlatformDriver;
  options: ConformanceOptions;
  timeoutMs: number;
}

export interface ConformanceProperty {
  name: string;
  check(context: ConformanceContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` returns a value; throws a ConformanceFailure with `problem` (and `hint`) at the deadline. */
async function until<T>(context: ConformanceContext, property: string, problem: string, check: () => T | undefined | null | false, hint = ""): Promise<T> {
  const deadline = Date.now() + context.timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new ConformanceFailure(property, `${problem} within ${context.timeoutMs} ms${hint}`);
    await sleep(20);
  }
}

function fail(property: string, problem: string): never {
  throw new ConformanceFailure(property, problem);
}

/** Returns the platform's form of an id the kit made up. */
function idOf(driver: PlatformDriver, kind: "message" | "topic", id: string): string {
  return driver.platformId?.(kind, id) ?? id;
}

/** The stored row an event should have produced, or undefined. */
function rowOf(driver: PlatformDriver, messages: StoredMessage[], event: PlatformEvent): StoredMessage | undefined {
  const id = idOf(driver, "message", event.id);
  switch (event.type) {
    case "message":
      return messages.find((message) => message.kind === "message" && message.platformId === id);
    case "edit":
      return messages.find((message) => message.kind === "edit" && message.target === id && message.text === event.text);
    case "reaction":
      return messages.find((message) => message.kind === "reaction" && message.target === id && message.sender === event.sender);
  }
}

function describeEvent(event: PlatformEvent): string {
  if (event.type === "message") return `message ${event.id}`;
  if (event.type === "edit") return `edit ${event.revision} of ${event.id}`;
  return `reaction ${event.emoji} to ${event.id}`;
}

const ID_HINT: Record<PlatformEvent["type"], string> = {
  message: "",
  edit: "; if an earlier event had the same platformId the store took this one for a redelivery: an edit's platformId is <message id>#<revision>",
  reaction: "; if an earlier event had the same platformId the store took this one for a redelivery: a reaction's platformId is <message id>#<sender>#<emoji>",
};

async function stored(context: ConformanceContext, property: string, event: PlatformEvent): Promise<StoredMessage> {
  return until(context, property, `${describeEvent(event)} was not stored`, () => rowOf(context.driver, context.host.messages(context.options.chat), event), ID_HINT[event.type]);
}

function capabilities(context: ConformanceContext): ChannelCapabilities {
  const channel = context.host.channels().find((entry) => entry.prefixes.some((prefix) => context.options.chat.startsWith(prefix)));
  if (!channel) fail("channel", `no channel owns ${context.options.chat}; list its <platform>:<account>/ prefix in prefixes`);
  return channel.capabilities;
}

const COMMIT_BEFORE_ACK = "stores each event before acknowledging it";
const DEDUPE = "stores a redelivered event once";
const MAPPING = "maps mentions, replies, threads, edits and reactions";
const RESTART = "neither replays nor loses events across a restart";
const SPLIT = "sends a long reply in chunks within its declared limit";
const REPLY_TO = "passes the reply-to id to the platform";
const RATE_LIMIT = "honours the platform's retry-after";
const PERMANENT = "does not retry a send the platform rejected for good";
const TRANSIENT = "retries a send that failed for a passing reason";
const HEALTH = "reports its health";
const CAPABILITIES = "refuses capabilities it does not declare";
const NO_LEFTOVERS = "leaves no timers, sockets or listeners after stop";

export const CONFORMANCE_PROPERTIES: ConformanceProperty[] = [
  {
    name: COMMIT_BEFORE_ACK,
    async check(context) {
      const { host, driver, options } = context;
      if (!driver.onAck) return;
      const early: string[] = [];
      const acked = new Set<string>();
      driver.onAck((event) => {
        acked.add(describeEvent(event));
        if (!rowOf(driver, host.messages(options.chat), event)) early.push(describeEvent(event));
      });
      const events: PlatformEvent[] = [1, 2, 3, 4, 5].map((n) => ({ type: "message", id: `ack-${n}`, sender: options.senders[0], text: `message ${n}` }));
      for (const event of events) await driver.deliver(event);

      const missing = () => events.map(describeEvent).filter((name) => !acked.has(name));
      await until(context, COMMIT_BEFORE_ACK, "the platform never saw an acknowledgement", () => missing().length === 0).catch(() => {
        fail(COMMIT_BEFORE_ACK, `${missing().join(", ")} never acknowledged within ${context.timeoutMs} ms; acknowledge each event once await ctx.inbound(message) resolves`);
      });
      if (early.length > 0) {
        fail(COMMIT_BEFORE_ACK, `${early.join(", ")} acknowledged before it was stored; acknowledge only after await ctx.inbound(message) resolves, or a crash in between loses the message`);
      }
    },
  },
  {
    name: DEDUPE,
    async check(context) {
      const { host, driver, options } = context;
      const [alice, bob] = options.senders;
      const original: PlatformEvent = { type: "message", id: "dup-1", sender: alice, text: "hello" };
      const firstEdit: PlatformEvent = { type: "edit", id: "dup-1", revision: "1", sender: alice, text: "hello, edited" };
      const secondEdit: PlatformEvent = { type: "edit", id: "dup-1", revision: "2", sender: alice, text: "hello, edited twice" };
      const reactions: PlatformEvent[] = [
        { type: "reaction", id: "dup-1", sender: alice, emoji: "👍" },
        { type: "reaction", id: "dup-1", sender: bob, emoji: "👍" },
      ];

      for (const event of [original, original, firstEdit, firstEdit, secondEdit, ...reactions, reactions[1]!]) {
        await driver.deliver(event);
        await stored(context, DEDUPE, event);
      }
      await sleep(200);
      const rows = host.messages(options.chat);
      const count = (kind: string) => rows.filter((row) => row.kind === kind).length;
      if (count("message") !== 1) fail(DEDUPE, `a redelivered message was stored ${count("message")} times; give each event the same platformId every time it arrives`);
      if (count("edit") !== 2) fail(DEDUPE, `two edits (one delivered twice) gave ${count("edit")} edit rows, expected 2; an edit's platformId is <message id>#<revision>`);
      if (count("reaction") !== 2) fail(DEDUPE, `two senders' reactions (one delivered twice) gave ${count("reaction")} rows, expected 2; a reaction's platformId is <message id>#<sender>#<emoji>`);
    },
  },
  {
    name: MAPPING,
    async check(context) {
      const { driver, options } = context;
      const [alice, bob] = options.senders;
      const plain: PlatformEvent = { type: "message", id: "map-1", sender: alice, text: "plain" };
      const mention: PlatformEvent = { type: "message", id: "map-2", sender: bob, text: "hey bot", mention: true };
      const reply: PlatformEvent = { type: "message", id: "map-3", sender: alice, text: "a reply", replyTo: "map-1" };
      const threaded: PlatformEvent = { type: "message", id: "map-4", sender: alice, text: "in a thread", topic: "thread-7" };
      const edit: PlatformEvent = { type: "edit", id: "map-1", revision: "1", sender: alice, text: "plain, edited" };
      const reaction: PlatformEvent = { type: "reaction", id: "map-2", sender: alice, emoji: "🎉" };
      for (const event of [plain, mention, reply, threaded, edit, reaction]) await driver.deliver(event);

      const fixes: Record<string, string> = {
        verb: "set verb to mention when the text addresses the bot, reply when it answers a message, edit or reaction for those events",
        sender: "set sender to the sender JID <platform>:<user>",
        text: "pass the text as the platform gave it; a reaction's text is its emoji",
        replyTo: "set replyTo to the platform id of the message answered",
        topic: "put the platform thread's id in topic",
      };
      const expect = (event: PlatformEvent, row: StoredMessage, field: string, actual: unknown, expected: unknown) => {
        if (actual !== expected) fail(MAPPING, `${describeEvent(event)} was stored with ${field} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)} (row ${row.id}); ${fixes[field]}`);
      };
      const plainRow = await stored(context, MAPPING, plain);
      expect(plain, plainRow, "verb", plainRow.verb, "message");
      expect(plain, plainRow, "sender", plainRow.sender, alice);
      expect(plain, plainRow, "text", plainRow.text, "plain");
      const mentionRow = await stored(context, MAPPING, mention);
      expect(mention, mentionRow, "verb", mentionRow.verb, "mention");
      const replyRow = await stored(context, MAPPING, reply);
      expect(reply, replyRow, "verb", replyRow.verb, "reply");
      expect(reply, replyRow, "replyTo", replyRow.replyTo, idOf(context.driver, "message", "map-1"));
      if (capabilities(context).threads) {
        const threadRow = await stored(context, MAPPING, threaded);
        expect(threaded, threadRow, "topic", threadRow.topic, idOf(context.driver, "topic", "thread-7"));
      }
      const editRow = await stored(context, MAPPING, edit);
      expect(edit, editRow, "verb", editRow.verb, "edit");
      const reactionRow = await stored(context, MAPPING, reaction);
      expect(reaction, reactionRow, "verb", reactionRow.verb, "reaction");
      expect(reaction, reactionRow, "text", reactionRow.text, "🎉");
    },
  },
  {
    name: RESTART,
    async check(context) {
      const { host, driver, options } = context;
      const before: PlatformEvent[] = [1, 2, 3].map((n) => ({ type: "message", id: `restart-${n}`, sender: options.senders[0], text: `before ${n}` }));
      const acked = new Set<string>();
      driver.onAck?.((event) => acked.add(describeEvent(event)));
      for (const event of before) await driver.deliver(event);
      for (const event of before) await stored(context, RESTART, event);
      if (driver.onAck) {
        await until(context, RESTART, "the events before the restart were not acknowledged", () => before.every((event) => acked.has(describeEvent(event))));
      }

      await host.restart();
      await driver.connect?.(host.url);
      const after: PlatformEvent = { type: "message", id: "restart-4", sender: options.senders[0], text: "after" };
      await driver.deliver(after);
      await stored(context, RESTART, after).catch(() => fail(RESTART, "a message sent after the restart was not stored; start() must resume reading the platform where it stopped"));
      await sleep(300);

      const replayed = host.inbound().duplicates;
      if (replayed > 0) {
        fail(RESTART, `after the restart the channel delivered ${replayed} already acknowledged event(s) again; persist the platform's offset (or acknowledge) after each commit so a restart resumes after it`);
      }
      const rows = host.messages(options.chat).length;
      if (rows !== 4) fail(RESTART, `${rows} messages stored across the restart, expected 4`);
    },
  },
  {
    name: SPLIT,
    async check(context) {
      const { host, driver, options } = context;
      const limit = capabilities(context).maxTextLength;
      const words = Array.from({ length: Math.ceil((limit * 2.5) / 6) + 1 }, (_, index) => `w${index % 1000}`.padEnd(5, "x"));
      const text = words.join(" ");
      host.reply(options.chat, text);

      const sent = await until(context, SPLIT, "the long reply was not sent", () => {
        const ok = driver.sendAttempts().filter((attempt) => attempt.outcome === "ok");
        return ok.map((attempt) => attempt.text).join("").length >= text.length ? ok : undefined;
      });
      const longest = Math.max(...sent.map((attempt) => attempt.text.length));
      if (longest > limit) fail(SPLIT, `a chunk of ${longest} characters reached the platform though maxTextLength is ${limit}; send each chunk as given, the core splits`);
      if (sent.map((attempt) => attempt.text).join("") !== text) fail(SPLIT, "the chunks the platform received do not join back to the reply; plain text must reach the platform unchanged (convert only Markdown markup)");
    },
  },
  {
    name: REPLY_TO,
    async check(context) {
      const { host, driver, options } = context;
      if (!capabilities(context).reply) return;
      const target = idOf(driver, "message", "map-1");
      host.reply(options.chat, "this answers map-1", { replyTo: target });
      const attempt = await until(context, REPLY_TO, "the reply was not sent", () => driver.sendAttempts().find((candidate) => candidate.outcome === "ok"));
      if (attempt.replyTo !== target) fail(REPLY_TO, `the platform got reply-to ${JSON.stringify(attempt.replyTo)}, expected ${JSON.stringify(target)}; pass chunk.replyTo to the platform's reply parameter`);
    },
  },
  {
    name: RATE_LIMIT,
    async check(context) {
      const { host, driver, options } = context;
      const retryAfterMs = 2500;
      driver.failNextSend({ kind: "rate_limited", retryAfterMs });
      host.reply(options.chat, "wait for it");

      const [first, second] = await until(context, RATE_LIMIT, "the rate-limited reply was not sent again", () => {
        const attempts = driver.sendAttempts();
        return attempts.length >= 2 ? attempts : undefined;
      }).catch(() => {
        const attempts = driver.sendAttempts();
        return fail(RATE_LIMIT, attempts.length === 0 ? "the reply never reached the platform" : `after a rate limit of ${retryAfterMs} ms the reply was not sent again within ${context.timeoutMs + retryAfterMs} ms`);
      });
      const waited = second!.at - first!.at;
      // Timers may fire a little early or late; 50 ms covers clock granularity.
      if (waited < retryAfterMs - 50) {
        fail(RATE_LIMIT, `the reply was sent again ${waited} ms after the platform asked to wait ${retryAfterMs} ms; throw new RateLimited(retryAfterMs) from send() and let the outbox wait`);
      }
      if (second!.outcome !== "ok") fail(RATE_LIMIT, `the second attempt ended ${second!.outcome}`);
    },
  },
  {
    name: PERMANENT,
    async check(context) {
      const { host, driver, options } = context;
      driver.failNextSend({ kind: "permanent" });
      host.reply(options.chat, "this chat is gone");
      await until(context, PERMANENT, "the reply never reached the platform", () => driver.sendAttempts().length > 0);
      // The outbox's first retry of a transient failure comes after 1 s.
      await sleep(1500);
      const attempts = driver.sendAttempts().length;
      const [row] = host.outbox(options.chat);
      if (attempts > 1 || row?.state !== "failed") {
        fail(PERMANENT, `after a permanent rejection the reply was tried ${attempts} times and its outbox row is ${row?.state}; throw new Permanent(reason) from send() for errors a retry cannot fix`);
      }
      if (host.delivery().unknownOutcomes > 0) {
        fail(PERMANENT, "a permanent rejection was reported as Unknown, which means the platform may have the message; throw new Permanent(reason) when the platform rejected it");
      }
    },
  },
  {
    name: TRANSIENT,
    async check(context) {
      const { host, driver, options } = context;
      driver.failNextSend({ kind: "transient" });
      host.reply(options.chat, "try me twice");
      // The outbox's first retry comes after 1 s.
      const attempts = await until(context, TRANSIENT, "the reply was not sent again after a transient failure", () => {
        const all = driver.sendAttempts();
        return all.length >= 2 ? all : undefined;
      }).catch(() =>
        fail(TRANSIENT, "after a transient failure the reply was not sent again; throw new Transient(reason) when the platform certainly did not take the message (connection refused, 5xx before acceptance)"),
      );
      if (attempts[1]!.outcome !== "ok") fail(TRANSIENT, `the retry ended ${attempts[1]!.outcome}`);
      await until(context, TRANSIENT, "the outbox row was not marked delivered", () => host.outbox(options.chat)[0]?.state === "delivered");
    },
  },
  {
    name: HEALTH,
    async check(context) {
      const { host, driver, options } = context;
      const state = () => host.channels().find((entry) => entry.prefixes.some((prefix) => options.chat.startsWith(prefix)))?.state;
      await until(context, HEALTH, `the channel ${state() === undefined ? "is not registered" : `stayed ${state()}`} instead of ok after start; call ctx.setStatus("ok") once connected`, () => state() === "ok");
      if (!driver.disconnect || !driver.reconnect) return;

      driver.disconnect();
      await until(context, HEALTH, `the channel stayed ok while cut off from the platform; call ctx.setStatus("disconnected" or "stale") when requests fail`, () => state() !== "ok");
      const missed: PlatformEvent = { type: "message", id: "health-1", sender: options.senders[0], text: "while you were away" };
      await driver.deliver(missed);
      driver.reconnect();
      await until(context, HEALTH, `the channel did not report ok again after the platform came back`, () => state() === "ok");
      await stored(context, HEALTH, missed).catch(() => fail(HEALTH, "a message sent while the channel was cut off was not stored after it reconnected"));
    },
  },
  {
    name: CAPABILITIES,
    async check(context) {
      const declared = capabilities(context);
      const optional = ["reply", "sendFile", "typing", "edit", "delete", "react", "threads"] as const;
      for (const capability of optional) {
        if (declared[capability]) continue;
        try {
          context.host.requireCapability(context.options.chat, capability);
        } catch (error) {
          if ((error as { code?: unknown }).code === "ARZ_ERR_CAPABILITY_UNSUPPORTED") continue;
          throw error;
        }
        fail(CAPABILITIES, `the host accepted ${capability}, which the channel does not declare`);
      }
    },
  },
];

/** Resource types that outlive a stopped channel when it does not close them. */
const LEFTOVER_TYPES = new Set(["Timeout", "Immediate", "TCPWRAP", "TCPSERVERWRAP", "PIPEWRAP", "PIPESERVERWRAP", "UDPWRAP", "FSEVENTWRAP", "STATWATCHER"]);

/** Records timers and sockets created from now on until they are closed. */
function trackResources(): { open(): string[]; stop(): void } {
  const live = new Map<number, { type: string; resource: unknown }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (LEFTOVER_TYPES.has(type)) live.set(id, { type, resource });
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();

  // An unref'd timer does not keep the process alive. The core uses such timers to finish
  // work already started (killing a child that did not exit), so they are not counted.
  const keepsAlive = ({ resource }: { resource: unknown }) => {
    const timer = resource as { hasRef?: () => boolean; _destroyed?: boolean };
    return typeof timer.hasRef !== "function" || (timer.hasRef() && timer._destroyed !== true);
  };
  return { open: () => [...live.values()].filter(keepsAlive).map((entry) => entry.type), stop: () => void hook.disable() };
}

/** Counts the listeners of each process event now. */
function processListeners(): Map<string | symbol, number> {
  return new Map(process.eventNames().map((event) => [event, process.listenerCount(event)]));
}

/** Runs one property against a fresh fake platform and a fresh host. */
export async function checkProperty(options: ConformanceOptions, property: ConformanceProperty): Promise<void> {
  const driver = await options.driver();
  const host = await createTestHost({ plugin: options.plugin, ...(driver.config && { config: driver.config }) });
  try {
    const failed = Object.entries(host.plugins()).filter(([, status]) => status.state === "failed");
    if (failed.length > 0) {
      fail(property.name, `the plugin did not start: ${failed.map(([name, status]) => `${name}: ${status.error ?? "failed"}`).join("; ")}`);
    }
    await driver.connect?.(host.url);
    await property.check({ host, driver, options, timeoutMs: options.timeoutMs ?? 5000 });
  } finally {
    await host.dispose();
    await driver.close?.();
  }
}

/**
 * Checks that a host with the plugin leaves no timers, sockets or process listeners behind once stopped:
 * every one created while it ran (by the core, the channel or the fake) must be closed.
 */
export async function checkNoLeftovers(options: ConformanceOptions): Promise<void> {
  const listenersBefore = processListeners();
  const resources = trackResources();
  try {
    await checkProperty(options, {
      name: NO_LEFTOVERS,
      async check(context) {
        // Some traffic first, so timers and sockets made per message or per send exist too.
        const event: PlatformEvent = { type: "message", id: "leftover-1", sender: options.senders[0], text: "hello" };
        await context.driver.deliver(event);
        await stored(context, NO_LEFTOVERS, event);
        context.host.reply(options.chat, "hello back");
        await until(context, NO_LEFTOVERS, "the reply was not sent", () => context.driver.sendAttempts().length > 0);
      },
    });
    // Closed handles report it on the next turns of the event loop.
    await sleep(200);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    resources.stop();
  }

  const counts = new Map<string, number>();
  for (const type of resources.open()) counts.set(type, (counts.get(type) ?? 0) + 1);
  const open = [...counts].map(([type, count]) => `${count} ${type}`);
  for (const [event, count] of processListeners()) {
    const added = count - (listenersBefore.get(event) ?? 0);
    if (added > 0) open.push(`${added} process "${String(event)}" listener${added === 1 ? "" : "s"}`);
  }
  if (open.length > 0) fail(NO_LEFTOVERS, `after stop() these were still open: ${open.join(", ")}; clear timers, close sockets and remove listeners in stop(), or tie them to ctx.signal`);
}

/**
 * Registers the conformance tests with vitest: one test per property, in a `describe`
 * named after the plugin's channel. Call it at the top level of a test file.
 */
export function runChannelConformance(options: ConformanceOptions): void {
  const timeout = (options.timeoutMs ?? 5000) * 3 + 10_000;
  describe(`channel conformance for ${options.chat}`, () => {
    for (const property of CONFORMANCE_PROPERTIES) it(property.name, () => checkProperty(options, property), timeout);
    it(NO_LEFTOVERS, () => checkNoLeftovers(options), timeout);
  });
}
