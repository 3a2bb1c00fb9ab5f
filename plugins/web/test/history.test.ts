/** `GET /web/chats/{chat}/messages?after=&limit=`: paging through a chat's stored messages. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../../core/test/helpers/client.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { converse, fillChat, scriptedConfig, type WebMessage } from "./helpers/chat.js";

/** Fields of a message object in the web API. */
const FIELDS = ["attachments", "chat", "from_agent", "group", "html", "id", "kind", "reply_to", "sender", "sender_name", "seq", "text", "topic", "ts"];

let instance: TestInstance;
let visitor: Client;
/** The whole history of chat c1, read in one request. */
let all: WebMessage[];

beforeAll(async () => {
  instance = await startInstance({ config: scriptedConfig() });
  visitor = instance.client();
  await fillChat(visitor, "c1", 3);
  await converse(visitor, "c2", "in another chat");
  const response = await visitor.get<{ messages: WebMessage[] }>("/web/chats/c1/messages?limit=1000");
  all = response.body.messages;
}, 60_000);

afterAll(() => instance.dispose());

async function page(query: string): Promise<WebMessage[]> {
  const response = await visitor.get<{ messages: WebMessage[] }>(`/web/chats/c1/messages${query}`);
  expect(response.status).toBe(200);
  return response.body.messages;
}

describe("message history", () => {
  it("returns the chat's messages in seq order", () => {
    // The context count in each reply depends on the agent session, not on the web channel.
    const texts = all.map((message) => message.text.replace(/ \(context: \d+\)$/, ""));
    expect(texts).toEqual(["message 1", "echo: message 1", "message 2", "echo: message 2", "message 3", "echo: message 3"]);
    expect(all.map((message) => message.seq)).toEqual(all.map((message) => message.seq).sort((a, b) => a - b));
  });

  it("returns the documented fields", () => {
    for (const message of all) expect(Object.keys(message).sort()).toEqual(FIELDS);
  });

  it("describes a visitor's message", () => {
    const [question] = all;

    expect(question).toMatchObject({ chat: "c1", sender_name: null, text: "message 1", from_agent: false, kind: "message", group: "main", topic: "", reply_to: null });
    expect(question!.sender).toMatch(/^web:v_/);
    expect(question!.id).toEqual(expect.any(String));
    expect(question!.ts).toBeGreaterThan(Date.now() - 600_000);
  });

  it("describes an agent's reply", () => {
    const [question, answer] = all;

    expect(answer).toMatchObject({ chat: "c1", from_agent: true, kind: "message", group: "main", topic: "", reply_to: question!.id });
    expect(answer!.sender).not.toMatch(/^web:/);
    expect(answer!.id).not.toBe(question!.id);
    expect(answer!.ts).toBeGreaterThanOrEqual(question!.ts);
  });

  it("excludes the after seq", async () => {
    const messages = await page(`?after=${all[2]!.seq}`);

    expect(messages).toEqual(all.slice(3));
  });

  it("caps the page at limit", async () => {
    expect(await page("?limit=2")).toEqual(all.slice(0, 2));
    expect(await page("?limit=1")).toEqual(all.slice(0, 1));
    expect(await page("?limit=1000")).toEqual(all);
  });

  it("pages through the whole chat", async () => {
    const read: WebMessage[] = [];
    let after = 0;
    for (let request = 0; request < 10; request++) {
      const messages = await page(`?after=${after}&limit=4`);
      if (messages.length === 0) break;
      expect(messages.length).toBeLessThanOrEqual(4);
      read.push(...messages);
      after = messages.at(-1)!.seq;
    }

    expect(read).toEqual(all);
  });

  it("returns nothing after the last seq", async () => {
    expect(await page(`?after=${all.at(-1)!.seq}`)).toEqual([]);
  });

  it("keeps other chats out", async () => {
    const other = await visitor.get<{ messages: WebMessage[] }>("/web/chats/c2/messages");

    expect(all.every((message) => message.chat === "c1")).toBe(true);
    expect(other.body.messages.map((message) => message.text)).toEqual(["in another chat", "echo: in another chat (context: 0)"]);
  });

  it("matches the event stream objects", async () => {
    const stream = await visitor.events("c1");
    await stream.until((s) => s.messages().length >= all.length, 15_000, "the history on the stream");
    stream.close();

    expect(stream.messages<WebMessage>()).toEqual(all);
  });

  it.each(["0", "1001"])("rejects limit %s", async (limit) => {
    const response = await visitor.get(`/web/chats/c1/messages?limit=${limit}`);

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("ARZ_ERR_INVALID_LIMIT");
    expect(response.body.error.message).toContain("limit");
    expect(response.body.error.message).toContain(limit);
  });

  it.each([
    ["limit", "abc"],
    ["limit", "-1"],
    ["limit", "10000"],
    ["after", "abc"],
    ["after", "-1"],
  ])("rejects %s=%s", async (name, value) => {
    const response = await visitor.get(`/web/chats/c1/messages?${name}=${value}`);

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("ARZ_ERR_INVALID_REQUEST");
    expect(response.body.error.message).toContain(name);
  });
});
