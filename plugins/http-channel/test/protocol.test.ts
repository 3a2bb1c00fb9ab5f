/**
 * The HTTP channel protocol against a real kernel: registration, bodies shaped exactly
 * as the Telegram (Go) and WhatsApp (TypeScript) adapters send them, the errors a bad
 * body gets, deregistration with the bodies adapters send, and tokens across a restart.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { startInstance, tempDir, type TestInstance } from "../../../core/test/helpers/instance.js";
// @ts-expect-error: a plain ES module fixture without types
import { TestAdapter } from "./fixtures/adapter.mjs";

const SECRET = "protocol-secret-0123456789";

let instance: TestInstance | undefined;
let adapters: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const adapter of adapters) await adapter.close();
  adapters = [];
  await instance?.dispose();
  instance = undefined;
});

function start(dir?: string): Promise<TestInstance> {
  return startInstance({ config: { plugins: [{ use: "http-channel", config: { secret: SECRET, healthIntervalMs: 200 } }] }, ...(dir && { dir }) });
}

async function adapter(target: TestInstance, options: Record<string, unknown> = {}) {
  const created = new TestAdapter({ gateway: target.url, secret: SECRET, ...options });
  adapters.push(created);
  await created.listen();
  await created.register();
  return created;
}

interface Row {
  chat: string;
  platform_id: string;
  kind: string;
  verb: string;
  sender: string;
  sender_name: string | null;
  text: string;
  topic: string;
  reply_to: string | null;
  target: string | null;
  attachments: string | null;
  ts: number;
}

function row(target: TestInstance, platformId: string): Row | undefined {
  return target.kernel.store.db
    .prepare("SELECT chat, platform_id, kind, verb, sender, sender_name, text, topic, reply_to, target, attachments, ts FROM messages WHERE platform_id = ?")
    .get(platformId) as Row | undefined;
}

function post(target: TestInstance, path: string, body: string | undefined, bearer: string) {
  return fetch(target.url + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` }, ...(body !== undefined && { body }) });
}

describe("registration", () => {
  it("refuses a wrong secret", async () => {
    instance = await start();
    const response = await post(instance, "/v1/channels/register", JSON.stringify({ name: "telegram", url: "http://127.0.0.1:9", jid_prefixes: ["telegram:"], capabilities: {} }), "nope");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: "invalid secret" });
  });

  it.each([
    [{ url: "http://127.0.0.1:9", jid_prefixes: ["telegram:"] }, "missing field name"],
    [{ name: "telegram", url: "ftp://127.0.0.1", jid_prefixes: ["telegram:"] }, "field url must be http or https"],
    [{ name: "telegram", url: "http://127.0.0.1:9", jid_prefixes: "telegram:" }, "field jid_prefixes must be a array, got string"],
    [{ name: "telegram", url: "http://127.0.0.1:9", jid_prefixes: ["telegram"] }, 'field jid_prefixes must list platform prefixes such as "telegram:"'],
    [{ name: "Tele Gram", url: "http://127.0.0.1:9", jid_prefixes: ["telegram:"] }, "field name must be 1-64 characters of a-z, 0-9 and -, starting with a letter"],
  ])("rejects %j with a message naming the field", async (body, error) => {
    instance = await start();
    const response = await post(instance, "/v1/channels/register", JSON.stringify(body), SECRET);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ ok: false, error });
  });

  it("answers a token in the adapters' shape and registers the channel", async () => {
    instance = await start();
    const created = await adapter(instance, { capabilities: { send_text: true, send_file: true, typing: true, fwd: true, like: true } });
    expect(created.token).toMatch(/^[0-9a-f]{48}$/);
    const channel = instance.kernel.channels.list().find((entry) => entry.name === "telegram")!;
    expect(channel).toMatchObject({ prefixes: ["telegram:telegram/"], state: "ok" });
    expect(channel.capabilities).toMatchObject({ send: true, typing: true, sendFile: true, react: true, edit: false });
    expect(instance.kernel.health().plugins["http-channel"]).toEqual({ state: "ok" });
  });

  it("uses the account an adapter names", async () => {
    instance = await start();
    const created = new TestAdapter({ gateway: instance.url, secret: SECRET, name: "telegram-support" });
    adapters.push(created);
    await created.listen();
    const answer = await created.post("/v1/channels/register", { name: "telegram-support", url: created.url, jid_prefixes: ["telegram:"], capabilities: {}, account: "600000002" }, SECRET);
    expect(answer.status).toBe(200);
    expect(instance.kernel.channels.list().find((entry) => entry.name === "telegram-support")!.prefixes).toEqual(["telegram:600000002/"]);
  });
});

describe("inbound bodies as the adapters send them", () => {
  it("stores a Telegram forum photo that replies to a message", async () => {
    instance = await start();
    const telegram = await adapter(instance);
    const answer = await telegram.deliver({
      id: "telegram:group/1001234567890/4711",
      chat_jid: "telegram:group/1001234567890",
      sender: "telegram:user/555000111",
      sender_name: "Alice Novak",
      content: "[Photo] is this the right chart?",
      timestamp: 1786003200,
      topic: "42",
      reply_to: "telegram:group/1001234567890/4700",
      reply_to_text: "send me the Q3 chart",
      reply_to_sender: "Bob Marek",
      attachments: [{ mime: "image/jpeg", filename: "AgACAgIAAxkBAAIBZ2Zx.jpg", url: "http://127.0.0.1:9/files/AgACAgIAAxkBAAIBZ2Zx", size: 84512 }],
      is_group: true,
      chat_name: "Dev Team",
      source: "telegram",
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, id: expect.any(String) });

    expect(row(instance, "telegram:group/1001234567890/4711")).toEqual({
      chat: "telegram:telegram/group/1001234567890",
      platform_id: "telegram:group/1001234567890/4711",
      kind: "message",
      verb: "reply",
      sender: "telegram:user:555000111",
      sender_name: "Alice Novak",
      text: "[Photo] is this the right chart?",
      topic: "42",
      reply_to: "telegram:group/1001234567890/4700",
      target: null,
      attachments: JSON.stringify([{ kind: "image", mime: "image/jpeg", size: 84512, name: "AgACAgIAAxkBAAIBZ2Zx.jpg", ref: "http://127.0.0.1:9/files/AgACAgIAAxkBAAIBZ2Zx" }]),
      ts: 1786003200000,
    });
  });

  it("stores a Telegram direct message as a direct chat", async () => {
    instance = await start();
    const telegram = await adapter(instance);
    await telegram.deliver({ id: "telegram:user/555000111/90", chat_jid: "telegram:user/555000111", sender: "telegram:user/555000111", sender_name: "Alice Novak", content: "hi", timestamp: 1786003260, source: "telegram" });
    expect(row(instance, "telegram:user/555000111/90")).toMatchObject({ chat: "telegram:telegram/user/555000111", verb: "message", text: "hi" });
    expect(instance.kernel.store.messages.isDirectChat("telegram:telegram/user/555000111")).toBe(true);
  });

  it("stores Telegram reactions of two people to one message as two rows", async () => {
    instance = await start();
    const telegram = await adapter(instance);
    for (const [sender, name] of [["telegram:user/555000222", "Bob Marek"], ["telegram:user/555000333", "Eva"]]) {
      const answer = await telegram.deliver({
        id: "telegram:group/1001234567890/4711:r:👍",
        chat_jid: "telegram:group/1001234567890",
        sender,
        sender_name: name,
        content: "👍",
        timestamp: 1786003300,
        verb: "like",
        reply_to: "telegram:group/1001234567890/4711",
        reaction: "👍",
        is_group: true,
        source: "telegram",
      });
      expect(answer.status).toBe(200);
    }
    const rows = instance.kernel.store.db.prepare("SELECT kind, verb, target, text, sender FROM messages WHERE kind = 'reaction' ORDER BY seq").all();
    expect(rows).toEqual([
      { kind: "reaction", verb: "reaction", target: "telegram:group/1001234567890/4711", text: "👍", sender: "telegram:user:555000222" },
      { kind: "reaction", verb: "reaction", target: "telegram:group/1001234567890/4711", text: "👍", sender: "telegram:user:555000333" },
    ]);
  });

  it("stores a WhatsApp group image sent as flat base64 fields", async () => {
    instance = await start();
    const whatsapp = await adapter(instance, { name: "whatsapp", prefixes: ["whatsapp:"] });
    const image = Buffer.from("a tiny stand-in for a JPEG");
    const answer = await whatsapp.deliver({
      id: "3EB0C767D26A1D7B8F1A",
      chat_jid: "whatsapp:120363041234567890@g.us",
      sender: "whatsapp:420601234567@s.whatsapp.net",
      sender_name: "Petr",
      content: "the receipt",
      timestamp: 1786003200,
      is_group: true,
      attachment: image.toString("base64"),
      attachment_mime: "image/jpeg",
      reply_to: "3EB0A1B2C3D4E5F60718",
      reply_to_text: "can you send the receipt?",
      reply_to_sender: "whatsapp:420700000000@s.whatsapp.net",
    });
    expect(answer.status).toBe(200);

    const stored = row(instance, "3EB0C767D26A1D7B8F1A")!;
    expect(stored).toMatchObject({ chat: "whatsapp:whatsapp/120363041234567890@g.us", sender: "whatsapp:420601234567@s.whatsapp.net", verb: "reply", reply_to: "3EB0A1B2C3D4E5F60718" });
    const [attachment] = JSON.parse(stored.attachments!) as Array<{ kind: string; mime: string; size: number; ref: string }>;
    expect(attachment).toMatchObject({ kind: "image", mime: "image/jpeg", size: image.length, ref: expect.stringMatching(/^file:[0-9a-f]{64}$/) });

    const channel = instance.kernel.channels.entryForChat(stored.chat)!.channel;
    const fetched = await channel.fetchAttachment!(attachment!.ref);
    expect(Buffer.from(fetched.data).equals(image)).toBe(true);
    expect(fetched.mime).toBe("image/jpeg");
  });

  it("stores a WhatsApp reaction", async () => {
    instance = await start();
    const whatsapp = await adapter(instance, { name: "whatsapp", prefixes: ["whatsapp:"] });
    await whatsapp.deliver({
      id: "3EB0C767D26A1D7B8F1A:r:❤️",
      chat_jid: "whatsapp:120363041234567890@g.us",
      sender: "whatsapp:420601234567@s.whatsapp.net",
      sender_name: "420601234567",
      content: "❤️",
      timestamp: 1786003300,
      verb: "like",
      reaction: "❤️",
      reply_to: "3EB0C767D26A1D7B8F1A",
      is_group: true,
    });
    const reaction = instance.kernel.store.db.prepare("SELECT kind, target, text FROM messages WHERE kind = 'reaction'").get();
    expect(reaction).toEqual({ kind: "reaction", target: "3EB0C767D26A1D7B8F1A", text: "❤️" });
  });

  it("ignores fields it does not know", async () => {
    instance = await start();
    const telegram = await adapter(instance);
    const answer = await telegram.deliver({ id: "telegram:user/1/1", chat_jid: "telegram:user/1", sender: "telegram:user/1", sender_name: "A", content: "x", timestamp: 1, link_context: "?", forwarded_from: "z", future_field: { a: 1 } });
    expect(answer.status).toBe(200);
  });

  it.each([
    [{ chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "x" }, "missing field id"],
    [{ id: "1", sender: "telegram:user/1", content: "x" }, "missing field chat_jid"],
    [{ id: "1", chat_jid: "telegram:user/1", sender: "telegram:user/1" }, "missing field content"],
    [{ id: "1", chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "x", timestamp: "now" }, "field timestamp must be a number, got string"],
    [{ id: "1", chat_jid: "discord:1/2", sender: "telegram:user/1", content: "x" }, 'chat_jid "discord:1/2" is outside this adapter\'s prefixes (telegram:)'],
    [{ id: "1", chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "x", verb: "like" }, "a like needs reply_to, the id of the message reacted to"],
    [{ id: "1", chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "x", attachments: [{ mime: "image/png" }] }, "attachments[0] has neither url nor data"],
  ])("rejects %j with a message naming the field", async (body, error) => {
    instance = await start();
    const telegram = await adapter(instance);
    const answer = await telegram.deliver(body);
    expect(answer).toEqual({ status: 400, body: { ok: false, error } });
  });

  it("refuses an unknown token", async () => {
    instance = await start();
    const response = await post(instance, "/v1/messages", JSON.stringify({ id: "1" }), "0".repeat(48));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: "invalid token" });
  });
});

describe("outbound verbs", () => {
  const caps = { send_text: true, send_file: true, like: true, edit: true, delete: true };

  it("sends a file as a multipart form to /send-file", async () => {
    instance = await start();
    const created = await adapter(instance, { capabilities: caps });
    const folder = instance.kernel.groups.path("main");
    writeFileSync(join(folder, "notes.txt"), "numbers\n");
    instance.kernel.outbound.notice({
      chat: "telegram:telegram/-1001000000007",
      topic: "12",
      text: "the notes",
      group: "main",
      replyTo: "4711",
      file: { path: join(folder, "notes.txt"), name: "notes.txt", mime: "text/plain", size: 8 },
    });
    await waitFor(() => created.files.length === 1);
    expect(created.files[0]).toEqual({
      fields: { chat_jid: "telegram:-1001000000007", filename: "notes.txt", caption: "the notes", reply_to: "4711", thread_id: "12" },
      name: "notes.txt",
      type: "text/plain",
      content: "numbers\n",
      key: expect.stringMatching(/^out_/),
    });
    const row = instance.kernel.store.db.prepare("SELECT state, platform_message_id FROM outbox").get();
    expect(row).toEqual({ state: "delivered", platform_message_id: "file-1" });
  });

  it("maps react, edit and delete to /like, /edit and /delete", async () => {
    instance = await start();
    const created = await adapter(instance, { capabilities: caps });
    const { channel } = instance.kernel.channels.entryForChat("telegram:telegram/42")!;
    await channel.react!("telegram:telegram/42", "4711", "🔥");
    await channel.edit!("telegram:telegram/42", "4712", "fixed");
    await channel.delete!("telegram:telegram/42", "4713");
    expect(created.actions).toEqual([
      { path: "/like", body: { chat_jid: "telegram:42", target_id: "4711", reaction: "🔥" } },
      { path: "/edit", body: { chat_jid: "telegram:42", target_id: "4712", content: "fixed" } },
      { path: "/delete", body: { chat_jid: "telegram:42", target_id: "4713" } },
    ]);
    await expect(channel.delete!("telegram:telegram/42", "missing")).rejects.toThrow("adapter telegram returned HTTP 404 for /delete: message not found");
  });
});

describe("deregistration and restarts", () => {
  it.each([
    ["a null body (Go adapters)", "null"],
    ["an empty body (TypeScript adapters)", ""],
  ])("deregisters with %s", async (_name, body) => {
    instance = await start();
    const telegram = await adapter(instance);
    const response = await post(instance, "/v1/channels/deregister", body, telegram.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(instance.kernel.channels.list().map((entry) => entry.name)).not.toContain("telegram");
    expect((await telegram.deliver({ id: "x", chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "x" })).status).toBe(401);
  });

  it("keeps an adapter's token and channel across a restart", async () => {
    const dir = tempDir();
    instance = await start(dir);
    const telegram = await adapter(instance);
    await instance.stop();

    instance = await start(dir);
    telegram.gateway = instance.url;
    expect(instance.kernel.channels.list().find((entry) => entry.name === "telegram")?.prefixes).toEqual(["telegram:telegram/"]);
    const answer = await telegram.deliver({ id: "telegram:user/1/2", chat_jid: "telegram:user/1", sender: "telegram:user/1", sender_name: "A", content: "after the restart", timestamp: 1 });
    expect(answer.status).toBe(200);
    expect(row(instance, "telegram:user/1/2")?.text).toBe("after the restart");
  });
});

describe("secrets", () => {
  it("never writes the shared secret or a session token to the log", async () => {
    instance = await start();
    const telegram = await adapter(instance);
    await telegram.deliver({ id: "telegram:user/1/3", chat_jid: "telegram:user/1", sender: "telegram:user/1", content: "hi" });
    instance.kernel.outbound.notice({ chat: "telegram:telegram/user/1", topic: "", text: "hello", group: null, replyTo: null });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await instance.stop();

    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const log = readFileSync(join(instance.dir, "arizuko.log"), "utf8");
    expect(log).toContain("adapter registered");
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(telegram.token);
  });
});
