/**
 * Visitors of the web chat. A chat belongs to the browser (visitor cookie) that first
 * opened it, and everyone else gets the same 404 as for a chat that does not exist.
 * The stored sender is the visitor id, whatever name the body gives.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Client } from "../../../core/test/helpers/client.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { countRows, type WebMessage } from "./helpers/chat.js";

const VISITOR_COOKIE = "arizuko_visitor";

let instance: TestInstance;
afterEach(() => instance.dispose());

interface CallResult {
  status: number;
  body: any;
}

/** The three chat calls, each as one visitor's request. An opened event stream is closed at once. */
const CHAT_CALLS: Array<[string, (visitor: Client, chat: string) => Promise<CallResult>]> = [
  ["POST messages", (visitor, chat) => visitor.say(chat, "hello")],
  ["GET messages", (visitor, chat) => visitor.get(`/web/chats/${chat}/messages`)],
  [
    "GET events",
    async (visitor, chat) => {
      const stream = await visitor.events(chat);
      stream.close();
      return { status: stream.status, body: stream.body === "" ? null : JSON.parse(stream.body) };
    },
  ],
];

/** Returns the visitor id in a client's cookie jar, or undefined before the server issued one. */
function visitorIdOf(client: Client): string | undefined {
  const pair = client.cookieHeader.split("; ").find((cookie) => cookie.startsWith(`${VISITOR_COOKIE}=`));
  return pair?.slice(VISITOR_COOKIE.length + 1);
}

function storedSender(seq: number): { sender: string; sender_name: string | null } {
  return instance.kernel.store.db.prepare("SELECT sender, sender_name FROM messages WHERE seq = ?").get(seq) as { sender: string; sender_name: string | null };
}

describe("chat ownership", () => {
  let owner: Client;
  let stranger: Client;

  beforeEach(async () => {
    instance = await startInstance();
    owner = instance.client();
    const created = await owner.say("c1", "hello");
    expect(created.status).toBe(202);
    stranger = instance.client();
  });

  it.each(CHAT_CALLS)("hides the chat from a stranger: %s", async (_call, request) => {
    const response = await request(stranger, "c1");

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("ARZ_ERR_CHAT_NOT_FOUND");
    expect(response.body.error.message).toContain("c1");
  });

  it("stores nothing from a stranger", async () => {
    const before = countRows(instance, "messages");
    await stranger.say("c1", "let me in");

    expect(countRows(instance, "messages")).toBe(before);
  });

  it.each(CHAT_CALLS)("keeps access for the owner: %s", async (_call, request) => {
    for (const [, strangerRequest] of CHAT_CALLS) await strangerRequest(stranger, "c1");

    const response = await request(owner, "c1");

    expect(response.status).toBeLessThan(300);
  });

  it("keeps the history for the owner", async () => {
    for (const [, strangerRequest] of CHAT_CALLS) await strangerRequest(stranger, "c1");

    const history = await owner.get<{ messages: WebMessage[] }>("/web/chats/c1/messages");

    expect(history.body.messages[0]).toMatchObject({ text: "hello", from_agent: false });
  });

  it.each(CHAT_CALLS)("claims an unopened chat on first use: %s", async (_call, request) => {
    const first = await request(stranger, "c2");
    expect(first.status).toBeLessThan(300);

    const ownerResponse = await owner.get("/web/chats/c2/messages");
    expect(ownerResponse.status).toBe(404);
    expect(ownerResponse.body.error.code).toBe("ARZ_ERR_CHAT_NOT_FOUND");
    const strangerResponse = await stranger.get("/web/chats/c2/messages");
    expect(strangerResponse.status).toBe(200);
  });
});

describe("sender identity", () => {
  beforeEach(async () => {
    instance = await startInstance();
  });

  it("stores the visitor cookie as sender", async () => {
    const visitor = instance.client();
    const page = await visitor.get("/");
    expect(page.status).toBe(200);
    const visitorId = visitorIdOf(visitor);
    expect(visitorId).toMatch(/^v_[A-Za-z0-9_-]{16,64}$/);

    const posted = await visitor.say("c1", "hello", { sender_name: "Alice" });

    expect(posted.status).toBe(202);
    expect(storedSender(posted.body.seq)).toEqual({ sender: `web:${visitorId}`, sender_name: "Alice" });
  });

  it("issues a cookie on the first post", async () => {
    const visitor = instance.client();
    const posted = await visitor.say("c1", "hello");

    const visitorId = visitorIdOf(visitor);
    expect(visitorId).toMatch(/^v_/);
    expect(storedSender(posted.body.seq).sender).toBe(`web:${visitorId}`);
  });

  it.each(["agent:main", "web:v_AAAAAAAAAAAAAAAAAAAAAA", "host", "Alice <admin>"])("keeps sender_name %j only as a name", async (name) => {
    const visitor = instance.client();
    const posted = await visitor.say("c1", "hello", { sender_name: name });
    const history = await visitor.get<{ messages: WebMessage[] }>("/web/chats/c1/messages");
    const stored = history.body.messages.find((message) => message.seq === posted.body.seq)!;

    expect(stored.sender).toBe(`web:${visitorIdOf(visitor)}`);
    expect(stored.sender_name).toBe(name);
    expect(stored.from_agent).toBe(false);
    expect(storedSender(posted.body.seq)).toEqual({ sender: `web:${visitorIdOf(visitor)}`, sender_name: name });
  });

  it("gives two visitors different senders", async () => {
    const first = instance.client();
    const second = instance.client();
    const fromFirst = await first.say("c1", "hello", { sender_name: "Sam" });
    const fromSecond = await second.say("c2", "hello", { sender_name: "Sam" });

    expect(storedSender(fromFirst.body.seq).sender).not.toBe(storedSender(fromSecond.body.seq).sender);
  });
});
