/**
 * The Telegram channel with the real grammY client against a fake Bot API on
 * 127.0.0.1. It covers what updates become and what replies look like on Telegram.
 * It also replays known faults with their exact values: B03 (plain-text fallback),
 * B05 (offset across restarts), B06 (forged webhook posts) and B07 (mention in a caption).
 */
import { ArizukoError } from "@arizuko/sdk";
import { createTestHost, type TestHost } from "@arizuko/sdk/testing";
import type { Update } from "grammy/types";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { telegramBot } from "../src/bot.js";
import plugin from "../src/index.js";
import { FakeBotApi } from "./fake-bot-api.js";

const BOT = { id: 600000001, username: "demo_helper_bot", token: "600000001:TEST-token-telegram" };
const BOT_USER = { id: BOT.id, is_bot: true, first_name: "Demo", username: BOT.username };
const jid = (chat: number) => `telegram:${BOT.id}/${chat}`;

let fake: FakeBotApi;
let host: TestHost | undefined;

afterEach(async () => {
  await host?.dispose();
  host = undefined;
  await fake?.stop();
});

async function startHost(dir?: string): Promise<TestHost> {
  fake ??= new FakeBotApi();
  if (!fake.url) {
    fake.addBot(BOT);
    await fake.start();
  }
  host = await createTestHost({ plugin, config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 }, ...(dir && { dir }) });
  return host;
}

/** Starts a fake Bot API and returns the bot's channel alone, without a host, for its direct methods. */
async function directChannel() {
  fake = new FakeBotApi();
  fake.addBot(BOT);
  await fake.start();
  return telegramBot({ token: BOT.token, mode: "polling", allowChats: [], denyChats: [] }, {
    apiRoot: fake.url,
    webhookUrl: null,
    pollTimeoutS: 1,
    typingRefreshMs: 4000,
    offsets: { read: () => null, write: () => undefined },
    commands: { list: () => [], lastDigest: () => null, saveDigest: () => undefined },
    blocked: { mark: () => undefined, clear: () => undefined },
  }).channel;
}

async function until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const person = (id: number, first_name: string) => ({ id, is_bot: false, first_name });

describe("telegram updates", () => {
  it("map a private message with its sender's name", async () => {
    fake = new FakeBotApi();
    await startHost();
    fake.push(BOT.id, { message: { message_id: 10, date: 1_760_000_000, chat: { id: 111, type: "private", first_name: "Ada" }, from: { ...person(111, "Ada"), last_name: "Lovelace" }, text: "hello" } });

    const [row] = await until(() => host!.messages(jid(111)).length === 1 && host!.messages(jid(111)), "the stored message");
    expect(row).toMatchObject({ platformId: "10", verb: "message", sender: "telegram:111", senderName: "Ada Lovelace", text: "hello", topic: "", ts: 1_760_000_000_000 });
  });

  it("see a mention in a photo caption, in UTF-16 offsets (B07)", async () => {
    fake = new FakeBotApi();
    await startHost();
    const update = {
      update_id: 70020,
      message: {
        message_id: 77,
        date: 1_760_000_000,
        chat: { id: -1001000000005, type: "supergroup", title: "Mention only" },
        from: person(444, "Noa"),
        photo: [{ file_id: "PHOTO_A", file_unique_id: "u1", width: 1280, height: 720 }],
        caption: "🙂 @demo_helper_bot what is on this picture?",
        caption_entities: [{ type: "mention", offset: 3, length: 16 }],
      },
    } as Update;
    fake.push(BOT.id, update);
    fake.push(BOT.id, { message: { ...update.message!, message_id: 78, caption: "🙂 @someone_else what is this?", caption_entities: [{ type: "mention", offset: 3, length: 13 }] } });
    fake.push(BOT.id, { message: { ...update.message!, message_id: 79, photo: undefined, caption: undefined, caption_entities: undefined, text: "ok", entities: [{ type: "text_mention", offset: 0, length: 2, user: BOT_USER }] } as never });

    const rows = await until(() => host!.messages(jid(-1001000000005)).length === 3 && host!.messages(jid(-1001000000005)), "the stored messages");
    expect(update.message!.caption!.slice(3, 3 + 16)).toBe("@demo_helper_bot");
    expect(rows.map((row) => [row.platformId, row.verb])).toEqual([["77", "mention"], ["78", "message"], ["79", "mention"]]);
    expect(rows[0]).toMatchObject({ text: "🙂 @demo_helper_bot what is on this picture?", attachments: [{ kind: "image", mime: "image/jpeg", ref: `${BOT.id}:PHOTO_A` }] });
  });

  it("map commands, replies to the bot, forum topics and edits", async () => {
    fake = new FakeBotApi();
    await startHost();
    const forum = { id: -1001000000003, type: "supergroup" as const, title: "Forum", is_forum: true as const };
    const base = { date: 1_760_000_000, chat: forum, from: person(111, "Ada") };
    fake.push(BOT.id, { message: { ...base, message_id: 1, text: "/status", entities: [{ type: "bot_command", offset: 0, length: 7 }] } });
    fake.push(BOT.id, { message: { ...base, message_id: 2, text: "/status@other_bot", entities: [{ type: "bot_command", offset: 0, length: 17 }] } });
    fake.push(BOT.id, { message: { ...base, message_id: 3, text: "thanks", reply_to_message: { message_id: 900, date: 1, chat: forum, from: BOT_USER, text: "answer" } as never } });
    fake.push(BOT.id, { message: { ...base, message_id: 4, text: "in a topic", message_thread_id: 42, is_topic_message: true, reply_to_message: { message_id: 42, date: 1, chat: forum, forum_topic_created: { name: "deploys", icon_color: 1 } } as never } });
    fake.push(BOT.id, { edited_message: { ...base, message_id: 3, edit_date: 1_760_000_100, text: "thanks!" } as never });

    const rows = await until(() => host!.messages(jid(forum.id)).length === 5 && host!.messages(jid(forum.id)), "the stored messages");
    expect(rows.map((row) => [row.platformId, row.kind, row.verb, row.topic, row.replyTo, row.target])).toEqual([
      ["1", "message", "mention", "", null, null],
      ["2", "message", "message", "", null, null],
      ["3", "message", "reply", "", "900", null],
      ["4", "message", "message", "42", null, null],
      ["3#1760000100", "edit", "edit", "", null, "3"],
    ]);
  });

  it("store each emoji a user adds as its own reaction, and no removals", async () => {
    fake = new FakeBotApi();
    await startHost();
    const group = { id: -1001000000004, type: "supergroup" as const, title: "Team" };
    const reaction = { chat: group, message_id: 9, user: person(111, "Ada"), date: 1_760_000_000 };
    fake.push(BOT.id, { message_reaction: { ...reaction, old_reaction: [{ type: "emoji", emoji: "👍" }], new_reaction: [{ type: "emoji", emoji: "👍" }, { type: "emoji", emoji: "🔥" }, { type: "emoji", emoji: "🎉" }] } });
    fake.push(BOT.id, { message_reaction: { ...reaction, old_reaction: [{ type: "emoji", emoji: "🔥" }], new_reaction: [] } });
    fake.push(BOT.id, { message: { message_id: 10, date: 1_760_000_001, chat: group, from: person(111, "Ada"), text: "after" } });

    const rows = await until(() => host!.messages(jid(group.id)).length >= 3 && host!.messages(jid(group.id)), "the stored reactions");
    expect(rows.map((row) => [row.kind, row.platformId, row.target, row.text])).toEqual([
      ["reaction", "9#telegram:111#🔥", "9", "🔥"],
      ["reaction", "9#telegram:111#🎉", "9", "🎉"],
      ["message", "10", null, "after"],
    ]);
  });

  it("resume after the last stored update across a restart (B05)", async () => {
    fake = new FakeBotApi();
    const first = await startHost();
    const status = { chat: { id: -1001000000002, type: "supergroup" as const, title: "Ops" }, from: person(111, "Ada"), date: 1_760_000_000 };
    fake.push(BOT.id, { update_id: 70001, message: { ...status, message_id: 501, text: "/status", entities: [{ type: "bot_command", offset: 0, length: 7 }] } });
    await until(() => first.messages(jid(-1001000000002)).length === 1, "the stored /status");
    await until(() => (fake.polls.get(BOT.id) ?? []).includes(70002), "the offset past it");

    await first.restart();
    // The fake hands back every update from the offset asked for; 0 would replay 70001.
    fake.push(BOT.id, { update_id: 70001, message: { ...status, message_id: 501, text: "/status", entities: [{ type: "bot_command", offset: 0, length: 7 }] } });
    const polls = () => fake.polls.get(BOT.id)!;
    const before = polls().length;
    await until(() => polls().length > before, "a poll after the restart");
    expect(polls()[before]).toBe(70002);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first.messages(jid(-1001000000002))).toHaveLength(1);
    expect(first.inbound().duplicates).toBe(0);
  });

  it("fetch an update again after a failed store, and skip a rejected one", async () => {
    const channel = await directChannel();
    // The host's store gives up only after 30 s locked; this context fails at once instead.
    const stored: string[] = [];
    const states: string[] = [];
    let busy = 1;
    const abort = new AbortController();
    await channel.start!({
      inbound: async (message) => {
        if (message.text === "bad") throw new ArizukoError("ARZ_ERR_INVALID_MESSAGE", "channel telegram:600000001 sent an invalid message", { statusCode: 400 });
        if (message.text === "busy" && busy-- > 0) throw new ArizukoError("ARZ_ERR_STORE_BUSY", "the database stayed locked for 30000 ms; retry the request", { statusCode: 503 });
        stored.push(message.text);
        return { id: message.platformId, seq: stored.length, duplicate: false };
      },
      setStatus: (state) => void states.push(state),
      log: pino({ level: "silent" }),
      signal: abort.signal,
    });
    const chat = { id: 111, type: "private" as const, first_name: "Ada" };
    for (const [message_id, text] of [[1, "bad"], [2, "busy"], [3, "after"]] as const) {
      fake.push(BOT.id, { message: { message_id, date: 1_760_000_000, chat, from: person(111, "Ada"), text } });
    }

    await until(() => stored.length === 2, "both good updates stored");
    expect(stored).toEqual(["busy", "after"]);
    expect(states).toContain("stale");
    await until(() => states.at(-1) === "ok", "the channel ok again");
    abort.abort();
    await channel.stop!();
  });

  it("serve voice note at signed link", async () => {
    fake = new FakeBotApi();
    await startHost();
    fake.files.set("VOICE_1", { path: "voice/file_1.oga", data: Buffer.from("OggS voice bytes"), mime: "audio/ogg" });
    const voice = { file_id: "VOICE_1", file_unique_id: "uv1", duration: 2, mime_type: "audio/ogg", file_size: 16 };
    fake.push(BOT.id, { message: { message_id: 20, date: 1_760_000_000, chat: { id: 111, type: "private", first_name: "Ada" }, from: person(111, "Ada"), voice } });

    const [row] = await until(() => host!.messages(jid(111)).length === 1 && host!.messages(jid(111)), "the voice note");
    const [attachment] = row!.attachments;
    expect(attachment).toMatchObject({ kind: "voice", mime: "audio/ogg", size: 16, name: "voice.oga", ref: `${BOT.id}:VOICE_1` });
    expect(attachment!.url).toMatch(new RegExp(`^/telegram/${BOT.id}/files/VOICE_1\\?sig=[A-Za-z0-9_-]{32}$`));
    expect(attachment!.url).not.toContain("TEST-token");

    const served = await fetch(`${host!.url}${attachment!.url}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("audio/ogg");
    expect(await served.text()).toBe("OggS voice bytes");
  });

  it("hand an attachment's bytes to the host through fetchAttachment", async () => {
    const channel = await directChannel();
    fake.files.set("VOICE_1", { path: "voice/file_1.oga", data: Buffer.from("OggS voice bytes"), mime: "audio/ogg" });

    const file = await channel.fetchAttachment!(`${BOT.id}:VOICE_1`);
    expect(Buffer.from(file.data).toString()).toBe("OggS voice bytes");
    expect(file.mime).toBe("audio/ogg");
    await expect(channel.fetchAttachment!(`${BOT.id}:NOPE`)).rejects.toThrow(/Telegram has no file NOPE/);
  });

  it("reject forged link and missing file", async () => {
    fake = new FakeBotApi();
    await startHost();
    const forged = await fetch(`${host!.url}/telegram/${BOT.id}/files/VOICE_1?sig=${"A".repeat(32)}`);
    expect(forged.status).toBe(403);
    expect((await forged.json()).error).toMatch(/^invalid file link/);
    expect((await fetch(`${host!.url}/telegram/${BOT.id}/files/VOICE_1`)).status).toBe(403);

    // A link the plugin signed, for a file Telegram no longer has.
    fake.push(BOT.id, { message: { message_id: 21, date: 1_760_000_000, chat: { id: 111, type: "private", first_name: "Ada" }, from: person(111, "Ada"), document: { file_id: "GONE", file_unique_id: "ug", file_name: "notes.txt" } } });
    const [row] = await until(() => host!.messages(jid(111)).length === 1 && host!.messages(jid(111)), "the document");
    const missing = await fetch(`${host!.url}${row!.attachments[0]!.url}`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe(`telegram bot ${BOT.id}: Telegram has no file GONE (Bad Request: invalid file_id)`);
  });
});

describe("telegram webhooks", () => {
  const FORGED = {
    update_id: 80001,
    message: { message_id: 1, date: 1_760_000_000, chat: { id: 333000, type: "private" }, from: { id: 333000, is_bot: false, first_name: "Mallory" }, text: "/approve all" },
  };

  async function webhookHost(secret?: string): Promise<TestHost> {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    host = await createTestHost({
      plugin,
      config: { bots: [{ token: BOT.token, mode: "webhook", ...(secret && { secret }) }], apiRoot: fake.url, webhookUrl: "https://bot.example.test" },
    });
    await until(() => fake.webhooks.length === 1, "setWebhook");
    return host;
  }

  const post = (secret: string | null) =>
    fetch(`${host!.url}/telegram/${BOT.id}/webhook`, { method: "POST", headers: { "content-type": "application/json", ...(secret !== null && { "x-telegram-bot-api-secret-token": secret }) }, body: JSON.stringify(FORGED) });

  it("take only updates that carry the secret (B06)", async () => {
    const secret = "s3cret-webhook-token-0123456789";
    await webhookHost(secret);
    expect(fake.webhooks[0]).toEqual({ bot: BOT.id, url: `https://bot.example.test/telegram/${BOT.id}/webhook`, secret_token: secret });

    const absent = await post(null);
    const wrong = await post("s3cret-webhook-token-0123456780");
    expect([absent.status, wrong.status]).toEqual([401, 401]);
    expect(await absent.json()).toEqual({ error: expect.stringContaining("missing or invalid x-telegram-bot-api-secret-token header") });
    expect(host!.messages()).toHaveLength(0);

    const right = await post(secret);
    expect(right.status).toBe(200);
    expect(host!.messages(jid(333000)).map((row) => [row.platformId, row.text])).toEqual([["1", "/approve all"]]);
    // Telegram delivering it again stores nothing new.
    expect((await post(secret)).status).toBe(200);
    expect(host!.messages(jid(333000))).toHaveLength(1);
  });

  it("make up a secret when none is configured, and tell Telegram", async () => {
    await webhookHost();
    const secret = fake.webhooks[0]!.secret_token!;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await post(null)).status).toBe(401);
    expect((await post(secret)).status).toBe(200);
  });

  it("refuse a body that is no update", async () => {
    const secret = "s3cret-webhook-token-0123456789";
    await webhookHost(secret);
    const response = await fetch(`${host!.url}/telegram/${BOT.id}/webhook`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret }, body: JSON.stringify({ hello: 1 }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "the body is not a Telegram update (no update_id)" });
  });
});

describe("telegram start-up", () => {
  it("names the Bot API address it cannot reach", async () => {
    host = await createTestHost({ plugin, config: { bots: [{ token: BOT.token }], apiRoot: "http://127.0.0.1:9" } });

    const plugins = await until(() => host!.plugins().telegram?.state === "failed" && host!.plugins(), "the plugin to fail");
    expect(plugins.telegram!.error).toMatch(/^telegram bot 600000001: cannot reach the Bot API at http:\/\/127\.0\.0\.1:9 \(.*ECONNREFUSED.*\); check apiRoot/);
    // grammY's cause quotes the request URL, /bot<token>/getMe; the token is cut out.
    expect(plugins.telegram!.error).toContain("/bot<token>/getMe");
    expect(plugins.telegram!.error).not.toContain("TEST-token");
  });

  it("stop start-up for a webhook bot without webhookUrl, saying what to set", async () => {
    fake = new FakeBotApi();
    await fake.start();
    const starting = createTestHost({ plugin, config: { bots: [{ token: BOT.token, mode: "webhook" }], apiRoot: fake.url } });

    await expect(starting).rejects.toThrow("webhookUrl: telegram bot 600000001 is in webhook mode, so webhookUrl must be set to arizuko's public HTTPS base URL");
  });

  it("stop start-up for a bot listed twice", async () => {
    await expect(createTestHost({ plugin, config: { bots: [{ token: BOT.token }, { token: BOT.token }] } })).rejects.toThrow(
      "bots[1].token: bot 600000001 is already configured at bots[0]; list each bot once",
    );
  });

  it("keep the other bots running when Telegram refuses one bot's token, naming that bot", async () => {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    host = await createTestHost({ plugin, config: { bots: [{ token: BOT.token }, { token: "600000009:REVOKED-token" }], apiRoot: fake.url, pollTimeoutS: 1 } });

    const plugins = await until(() => host!.plugins().telegram?.state === "degraded" && host!.plugins(), "the plugin to be degraded");
    const rejection = "telegram bot 600000009: getMe failed (401 Unauthorized); check the bot's token in the telegram plugin's config";
    expect(plugins.telegram!.error).toBe(`channel telegram:600000009 failed to start: ${rejection}`);
    expect(host.channels().map(({ name, state, detail }) => ({ name, state, detail }))).toEqual([
      { name: "telegram:600000001", state: "ok", detail: null },
      { name: "telegram:600000009", state: "disconnected", detail: rejection },
    ]);

    fake.push(BOT.id, { message: { message_id: 30, date: 1_760_000_000, chat: { id: 111, type: "private", first_name: "Ada" }, from: person(111, "Ada"), text: "still there?" } });
    await until(() => host!.messages(jid(111)).length === 1, "the working bot's message");
  });

  it("fail the plugin when its only bot's token is refused", async () => {
    fake = new FakeBotApi();
    await fake.start();
    host = await createTestHost({ plugin, config: { bots: [{ token: "600000009:REVOKED-token" }], apiRoot: fake.url } });

    const plugins = await until(() => host!.plugins().telegram?.state === "failed" && host!.plugins(), "the plugin to fail");
    expect(plugins.telegram!.error).toBe("telegram bot 600000009: getMe failed (401 Unauthorized); check the bot's token in the telegram plugin's config");
  });
});

describe("telegram actions", () => {
  it("send files as photos, voice notes or documents, with the caption as HTML", async () => {
    const channel = await directChannel();
    const dir = mkdtempSync(join(tmpdir(), "arizuko-telegram-"));
    const path = join(dir, "report.txt");
    writeFileSync(path, "the report");
    const chunk = { outboxId: "o1", messageId: "m1", chat: jid(111), topic: "", replyTo: "10", index: 0, count: 1, attempts: 0 };
    for (const [name, mime] of [["report.txt", "text/plain"], ["chart.png", "image/png"], ["note.ogg", "audio/ogg"]] as const) {
      await channel.sendFile!({ ...chunk, text: "**here**", file: { path, name, mime, size: 10 } });
    }

    expect(fake.calls.map((call) => call.method)).toEqual(["sendDocument", "sendPhoto", "sendVoice"]);
    expect(fake.calls[0]!.body).toMatchObject({ chat_id: 111, caption: "<b>here</b>", parse_mode: "HTML", reply_parameters: { message_id: 10 }, document: { name: "report.txt", text: "the report" } });
    rmSync(dir, { recursive: true, force: true });
  });

  it("caption fallback and long caption", async () => {
    const channel = await directChannel();
    const dir = mkdtempSync(join(tmpdir(), "arizuko-telegram-"));
    const path = join(dir, "report.txt");
    writeFileSync(path, "the report");
    const chunk = { outboxId: "o1", messageId: "m1", chat: jid(111), topic: "", replyTo: null, index: 0, count: 1, attempts: 0, file: { path, name: "report.txt", mime: "text/plain", size: 10 } };

    fake.failNextSend({ error_code: 400, description: "Bad Request: can't parse entities: Character '-' is reserved" });
    await channel.sendFile!({ ...chunk, text: "Sure! Step 1 - done." });
    expect(fake.calls.map((call) => [call.body.caption, call.body.parse_mode])).toEqual([
      ["Sure! Step 1 - done.", "HTML"],
      ["Sure! Step 1 - done.", undefined],
    ]);
    expect((fake.calls[1]!.body.document as { text: string }).text).toBe("the report");

    const long = "word ".repeat(300).trim();
    const { platformMessageId } = await channel.sendFile!({ ...chunk, text: long });
    expect(fake.calls[2]!.body.caption).toBeUndefined();
    expect(fake.sent.at(-1)).toMatchObject({ text: long, reply_parameters: { message_id: Number(platformMessageId) } });
    rmSync(dir, { recursive: true, force: true });
  });

  it("react, edit and delete", async () => {
    const channel = await directChannel();
    await channel.react!(jid(111), "10", "👍");
    await channel.react!(jid(111), "10", "");
    await channel.edit!(jid(111), "11", "now **bold**");
    await channel.delete!(jid(111), "12");

    expect(fake.calls.map((call) => [call.method, call.body])).toEqual([
      ["setMessageReaction", { chat_id: "111", message_id: 10, reaction: [{ type: "emoji", emoji: "👍" }] }],
      ["setMessageReaction", { chat_id: "111", message_id: 10, reaction: [] }],
      ["editMessageText", { chat_id: "111", message_id: 11, text: "now <b>bold</b>", parse_mode: "HTML" }],
      ["deleteMessage", { chat_id: "111", message_id: 12 }],
    ]);
  });

  it("set the command menu only when it changed", async () => {
    fake = new FakeBotApi();
    await startHost();
    await until(() => fake.calls.some((call) => call.method === "setMyCommands"), "the command menu");
    await host!.restart();
    await until(() => host!.channels().some((channel) => channel.state === "ok"), "the restarted bot");

    expect(fake.calls.filter((call) => call.method === "setMyCommands")).toHaveLength(1);
  });
});

describe("telegram replies", () => {
  it("resend once as the original text when Telegram refuses the markup (B03)", async () => {
    fake = new FakeBotApi();
    await startHost();
    fake.failNextSend({ error_code: 400, description: "Bad Request: can't parse entities: Character '-' is reserved and must be escaped with the preceding '\\'" });
    host!.reply(jid(111), "Sure! Step 1 - done. See (docs).");

    await until(() => fake.sent.length === 2, "the retry");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.sent.map((sent) => [sent.status, sent.parse_mode ?? null, sent.text])).toEqual([
      [400, "HTML", "Sure! Step 1 - done. See (docs)."],
      [200, null, "Sure! Step 1 - done. See (docs)."],
    ]);
    expect(host!.outbox(jid(111))).toMatchObject([{ state: "delivered" }]);
  });

  it("keep a URL with underscores intact", async () => {
    fake = new FakeBotApi();
    await startHost();
    host!.reply(jid(111), "See https://example.test/a_b_c_d and **this**.");
    await until(() => fake.sent.length === 1, "the send");
    expect(fake.sent[0]).toMatchObject({ parse_mode: "HTML", text: 'See <a href="https://example.test/a_b_c_d">https://example.test/a_b_c_d</a> and <b>this</b>.' });
  });

  it("split a long reply with emoji and a code block under 4096 characters", async () => {
    fake = new FakeBotApi();
    await startHost();
    const lines = Array.from({ length: 200 }, (_, index) => `const v_${index} = ${index}; // 🙂 padding`);
    const text = `Here 🎉:\n\`\`\`ts\n${lines.join("\n")}\n\`\`\`\nDone.`;
    host!.reply(jid(111), text);

    await until(() => host!.outbox(jid(111)).every((entry) => entry.state === "delivered") && host!.outbox(jid(111)).length > 1 && fake.sent.length === host!.outbox(jid(111)).length, "every chunk", 15_000);
    const visible = fake.sent.map((sent) => sent.text.replace(/<[^>]+>/g, "").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"));
    for (const chunk of visible) expect(chunk.length).toBeLessThanOrEqual(4096);
    expect(fake.sent.every((sent) => sent.parse_mode === "HTML" && sent.text.includes("<pre><code"))).toBe(true);
    expect(visible.join("\n")).toContain("const v_199 = 199; // 🙂 padding");
  });

  it("wait exactly Telegram's retry_after, however long, and lose nothing", async () => {
    fake = new FakeBotApi();
    await startHost();
    fake.failNextSend({ error_code: 429, description: "Too Many Requests: retry after 3600", parameters: { retry_after: 3600 } });
    const before = Date.now();
    host!.reply(jid(111), "later");

    await until(() => fake.sent.length === 1, "the rate-limited attempt");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [entry] = host!.outbox(jid(111));
    // A rate limit is no failed attempt: the row waits, queued, with Telegram's reason.
    expect(entry).toMatchObject({ state: "queued", attempts: 0, text: "later", error: expect.stringContaining("429 Too Many Requests") });
    expect(entry!.notBefore - before).toBeGreaterThanOrEqual(3600 * 1000);
    expect(entry!.notBefore - Date.now()).toBeLessThanOrEqual(3600 * 1000);
  });

  it("give up on a chat that blocked the bot, saying why", async () => {
    fake = new FakeBotApi();
    await startHost();
    fake.failNextSend({ error_code: 403, description: "Forbidden: bot was blocked by the user" });
    host!.reply(jid(111), "hello?");

    const [entry] = await until(() => host!.outbox(jid(111)).find((row) => row.state === "failed") && host!.outbox(jid(111)), "the failed send");
    expect(entry!.error).toContain("403 Forbidden: bot was blocked by the user");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.sent).toHaveLength(1);
  });
});
