/**
 * The conformance kit catches broken channels: each plugin here is the console channel
 * of the channel-plugin template with faults, and the kit's property must fail with a message that names the
 * property and the fix.
 */
import { CONFORMANCE_PROPERTIES, checkNoLeftovers, checkProperty, type ConformanceOptions } from "@arizuko/sdk/testing";
import { definePlugin, HOST_API_VERSION, Permanent, RateLimited, Transient, type Channel, type ChannelContext, type Host, type JsonSchema } from "@arizuko/sdk";
import { describe, expect, it } from "vitest";
import { toInbound } from "../../templates/channel-plugin/src/index.js";
import { ConsoleApiError, platformNamed, type ConsoleUpdate } from "../../templates/channel-plugin/src/platform.js";
import plugin from "../../templates/channel-plugin/src/index.js";
import { consoleDriver } from "../../templates/channel-plugin/test/driver.js";

interface Faults {
  /** Moves the offset (confirming updates) before their commit. */
  ackBeforeCommit?: boolean;
  /** Reports a 429 as a transient error, so the outbox retries on its own schedule. */
  ignoreRetryAfter?: boolean;
  /** Reports every send failure but a 429 as permanent. */
  transientAsPermanent?: boolean;
}

/**
 * Builds a console channel with the given faults. Every variant also keeps its offset
 * in memory only, so a restart reads from the start again. It also reports every send
 * failure but a 429 as transient, so a permanent rejection is retried.
 */
function brokenConsole(faults: Faults) {
  return definePlugin<JsonSchema, { platform: string }>({
    name: "broken-console",
    version: "1.0.0",
    apiVersion: HOST_API_VERSION,
    configSchema: { type: "object", required: ["platform"], properties: { platform: { type: "string" } } },
    register(host, config) {
      let offset = 1;
      let polling: Promise<void> = Promise.resolve();

      async function poll(ctx: ChannelContext): Promise<void> {
        const platform = platformNamed(config.platform);
        while (!ctx.signal.aborted) {
          let updates: ConsoleUpdate[];
          try {
            updates = await platform.getUpdates(offset, 10_000, ctx.signal);
            ctx.setStatus("ok");
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 200));
            continue;
          }
          for (const update of updates) {
            const message = toInbound("local", update);
            offset = update.updateId + 1;
            if (!message) continue;
            if (faults.ackBeforeCommit) {
              void ctx.inbound(message);
              await platform.getUpdates(offset, 0);
            } else {
              await ctx.inbound(message);
            }
          }
        }
      }

      host.channels.register({
        name: "console",
        prefixes: ["console:local/"],
        capabilities: { send: true, reply: true, threads: true, maxTextLength: 500 },
        start(ctx) {
          polling = poll(ctx);
        },
        stop: () => polling,
        async send(chunk) {
          try {
            const sent = await platformNamed(config.platform).sendMessage({ chat: chunk.chat.slice("console:local/".length), text: chunk.text });
            return { platformMessageId: sent.messageId };
          } catch (error) {
            const status = (error as ConsoleApiError).status;
            if (status === 429 && !faults.ignoreRetryAfter) throw new RateLimited((error as ConsoleApiError).retryAfterMs ?? 1000);
            if (faults.transientAsPermanent) throw new Permanent((error as Error).message);
            throw new Transient((error as Error).message);
          }
        },
      });
    },
  });
}

/** The template's console channel, with a timer and a process listener start() adds and stop() never removes. */
const leakyConsole = definePlugin({
  ...plugin,
  // The same name, so its migration may create the console_channel_ tables.
  name: plugin.name,
  register(host: Host, config: unknown) {
    const register = (channel: Channel) =>
      host.channels.register({
        ...channel,
        start(ctx: ChannelContext) {
          setInterval(() => undefined, 60_000);
          process.on("warning", () => undefined);
          return channel.start?.(ctx);
        },
      });
    const channels = new Proxy(host.channels, { get: (target, key) => (key === "register" ? register : Reflect.get(target, key)) });
    const wrapped = new Proxy(host, { get: (target, key) => (key === "channels" ? channels : Reflect.get(target, key)) });
    return plugin.register(wrapped, config as never);
  },
});

function options(faults: Faults): ConformanceOptions {
  return { plugin: brokenConsole(faults), chat: "console:local/room1", senders: ["console:alice", "console:bob"], driver: consoleDriver, timeoutMs: 3000 };
}

function property(name: string) {
  const found = CONFORMANCE_PROPERTIES.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no property ${name}`);
  return found;
}

describe("conformance kit against broken channels", () => {
  it("fails a channel that acknowledges before the commit", async () => {
    await expect(checkProperty(options({ ackBeforeCommit: true }), property("stores each event before acknowledging it"))).rejects.toThrow(
      /^stores each event before acknowledging it: message ack-\d[^:]* acknowledged before it was stored; acknowledge only after await ctx.inbound\(message\) resolves/,
    );
  });

  it("fails a channel that replays after a restart", async () => {
    await expect(checkProperty(options({}), property("neither replays nor loses events across a restart"))).rejects.toThrow(
      /^neither replays nor loses events across a restart: after the restart the channel delivered 3 already acknowledged event\(s\) again; persist the platform's offset/,
    );
  });

  it("fails a channel that ignores retry-after", async () => {
    await expect(checkProperty(options({ ignoreRetryAfter: true }), property("honours the platform's retry-after"))).rejects.toThrow(
      /^honours the platform's retry-after: the reply was sent again \d+ ms after the platform asked to wait 2500 ms; throw new RateLimited\(retryAfterMs\)/,
    );
  });

  it("fails a channel that reports a passing failure as permanent", async () => {
    await expect(checkProperty(options({ transientAsPermanent: true }), property("retries a send that failed for a passing reason"))).rejects.toThrow(
      /^retries a send that failed for a passing reason: after a transient failure the reply was not sent again; throw new Transient\(reason\)/,
    );
  });

  it("fails a channel that retries a permanent rejection", async () => {
    await expect(checkProperty(options({}), property("does not retry a send the platform rejected for good"))).rejects.toThrow(
      /^does not retry a send the platform rejected for good: after a permanent rejection the reply was tried 2 times and its outbox row is \w+; throw new Permanent\(reason\)/,
    );
  });

  it("fails a channel that leaves a timer and a listener after stop", async () => {
    await expect(checkNoLeftovers({ ...options({}), plugin: leakyConsole })).rejects.toThrow(
      /^leaves no timers, sockets or listeners after stop: after stop\(\) these were still open: 1 Timeout, 1 process "warning" listener; clear timers, close sockets and remove listeners in stop\(\)/,
    );
  });

  it("passes the example channel on the same properties", async () => {
    const example = { ...options({}), plugin };
    for (const name of ["stores each event before acknowledging it", "neither replays nor loses events across a restart", "honours the platform's retry-after"]) {
      await checkProperty(example, property(name));
    }
  });
});
