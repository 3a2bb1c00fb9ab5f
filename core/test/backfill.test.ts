/**
 * Backfill after a reconnect: a channel with history() is asked for what it missed
 * once it reports ok again, and the store keeps each message once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { testChannel } from "./helpers/test-channel.js";
import { sleep, waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

function stored(target: TestInstance, chat: string): string[] {
  const rows = target.kernel.store.db.prepare("SELECT platform_id FROM messages WHERE chat = ? AND direction = 'in' ORDER BY seq").all(chat) as Array<{ platform_id: string }>;
  return rows.map((row) => row.platform_id);
}

describe("backfill after a reconnect", () => {
  it("stores what the channel missed, once", async () => {
    const channel = testChannel({ platform: "hist", history: true });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "hist"));
    channel.setStatus("ok");
    await channel.say("a", "before", { id: "h1" });

    channel.setStatus("disconnected", "socket closed");
    const missed = (id: string, text: string) => ({ chat: channel.jid("a"), platformId: id, verb: "message" as const, sender: "hist:alice", text });
    channel.backlog.push(missed("h1", "before"), missed("h2", "while away"), missed("h3", "still away"));
    channel.setStatus("ok");

    await waitFor(() => stored(instance!, channel.jid("a")).length === 3, { what: "the backfilled messages" });
    await sleep(100);
    expect(stored(instance, channel.jid("a"))).toEqual(["h1", "h2", "h3"]);
    expect(channel.historyCalls).toHaveLength(1);
    expect(instance.kernel.inbound.counters.duplicates).toBe(1);
  });

  it("asks from the last inbound message", async () => {
    const channel = testChannel({ platform: "hist", history: true });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "hist"));
    channel.setStatus("ok");
    await channel.say("a", "before", { id: "h1" });
    const last = instance.kernel.channels.list().find((entry) => entry.name === "hist")!.lastInboundAt!;

    channel.setStatus("stale");
    channel.setStatus("ok");
    await waitFor(() => channel.historyCalls.length === 1, { what: "the history call" });
    expect(channel.historyCalls[0]).toBe(last);
  });

  it("does not ask a channel on its first ok", async () => {
    const channel = testChannel({ platform: "hist", history: true });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "hist"));
    channel.setStatus("ok");
    await sleep(100);
    expect(channel.historyCalls).toEqual([]);
  });
});
