/**
 * Outbound pacing: the windows of the Pacing class, and a real kernel keeping a
 * channel within its declared rates and holding every chat when the platform pauses
 * the whole bot.
 */
import { RateLimited } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { Pacing } from "../src/pipeline/pacing.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { testChannel } from "./helpers/test-channel.js";
import { waitFor } from "./helpers/wait.js";

const TELEGRAM = { perChat: { messages: 1, perMs: 1000 }, perChannel: { messages: 30, perMs: 1000 } };

describe("Pacing", () => {
  it("lets the first send go at once", () => {
    expect(new Pacing().nextAllowed("tg", "tg:1/a", TELEGRAM, 5000)).toBe(5000);
  });

  it("spaces sends to one chat by the chat window", () => {
    const pacing = new Pacing();
    pacing.record("tg", "tg:1/a", TELEGRAM, 5000);
    expect(pacing.nextAllowed("tg", "tg:1/a", TELEGRAM, 5200)).toBe(6000);
    expect(pacing.nextAllowed("tg", "tg:1/a", TELEGRAM, 6000)).toBe(6000);
  });

  it("does not hold another chat", () => {
    const pacing = new Pacing();
    pacing.record("tg", "tg:1/a", TELEGRAM, 5000);
    expect(pacing.nextAllowed("tg", "tg:1/b", TELEGRAM, 5200)).toBe(5200);
  });

  it("holds every chat once the channel window is full", () => {
    const pacing = new Pacing();
    for (let index = 0; index < 30; index += 1) pacing.record("tg", `tg:1/c${index}`, TELEGRAM, 5000 + index);
    expect(pacing.nextAllowed("tg", "tg:1/new", TELEGRAM, 5100)).toBe(6000);
    expect(pacing.nextAllowed("tg", "tg:1/new", TELEGRAM, 6001)).toBe(6001);
  });

  it("counts several messages per window", () => {
    const limits = { perChat: { messages: 5, perMs: 5000 } };
    const pacing = new Pacing();
    for (const at of [0, 100, 200, 300, 400]) pacing.record("dc", "dc:1/a", limits, at);
    expect(pacing.nextAllowed("dc", "dc:1/a", limits, 500)).toBe(5000);
  });

  it("holds a paused channel", () => {
    const pacing = new Pacing();
    pacing.pause("tg", 9000);
    expect(pacing.nextAllowed("tg", "tg:1/a", undefined, 5000)).toBe(9000);
    expect(pacing.nextAllowed("other", "other:1/a", undefined, 5000)).toBe(5000);
  });

  it("ignores a channel without limits", () => {
    const pacing = new Pacing();
    pacing.record("web", "web:local/a", undefined, 5000);
    expect(pacing.nextAllowed("web", "web:local/a", undefined, 5001)).toBe(5001);
  });

  // Per-chat buckets of a bot that talked to 20,000 chats are all released once idle.
  it("releases 20,000 idle chats after their window", () => {
    const pacing = new Pacing();
    for (let index = 0; index < 20_000; index += 1) pacing.record("tg", `tg:1/${index}`, TELEGRAM, 1000 + index / 100);
    expect(pacing.trackedChats(() => TELEGRAM, 1100)).toBe(20_000);
    expect(pacing.trackedChats(() => TELEGRAM, 1200 + 1000)).toBe(0);
  });

  it("drops idle chats as new ones are recorded", () => {
    const pacing = new Pacing();
    for (let index = 0; index < 1000; index += 1) pacing.record("tg", `tg:1/${index}`, TELEGRAM, 1000);
    pacing.record("tg", "tg:1/late", TELEGRAM, 3000);
    expect(pacing.trackedChats(() => TELEGRAM, 3000)).toBe(1);
  });
});

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

describe("pacing in delivery", () => {
  it("keeps replies to one chat within the chat rate", async () => {
    const channel = testChannel({ platform: "paced", capabilities: { rateLimits: { perChat: { messages: 1, perMs: 400 } } } });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "paced"));
    for (const text of ["one", "two", "three"]) instance.kernel.outbound.notice({ chat: channel.jid("a"), topic: "", text, group: null, replyTo: null });
    instance.kernel.outbound.notice({ chat: channel.jid("b"), topic: "", text: "other chat", group: null, replyTo: null });

    await waitFor(() => channel.sent.length === 4, { what: "four sends" });
    const times = Object.fromEntries(channel.sent.map((chunk, index) => [chunk.text, channel.sentAt[index]!]));
    expect(channel.sent.filter((chunk) => chunk.chat === channel.jid("a")).map((chunk) => chunk.text)).toEqual(["one", "two", "three"]);
    expect(times.two! - times.one!).toBeGreaterThanOrEqual(395);
    expect(times.three! - times.two!).toBeGreaterThanOrEqual(395);
    expect(times["other chat"]! - times.one!).toBeLessThan(395);
  });

  it("holds every chat when the platform pauses the bot", async () => {
    const channel = testChannel({ platform: "paused" });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "paused"));
    channel.failures.push(new RateLimited(800, "flood control", undefined, "channel"));

    instance.kernel.outbound.notice({ chat: channel.jid("a"), topic: "", text: "first", group: null, replyTo: null });
    await waitFor(() => channel.attempts.length === 1, { what: "the limited send" });
    instance.kernel.outbound.notice({ chat: channel.jid("b"), topic: "", text: "second chat", group: null, replyTo: null });

    await waitFor(() => channel.sent.length === 2, { what: "both sends" });
    const limitedAt = channel.attempts[0]!.at;
    for (const at of channel.sentAt) expect(at - limitedAt).toBeGreaterThanOrEqual(795);
  });
});
