/**
 * The web chat once accounts exist: who may use which chat, through every endpoint.
 * A real kernel with the default plugins and the demo agent; people sign in with the
 * session cookies as a browser does.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Client } from "../../../core/test/helpers/client.js";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { countRows } from "./helpers/chat.js";
import { openShare, PageClient, person, type Person } from "./helpers/people.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

let instance: TestInstance;
let ada: Person;

beforeEach(async () => {
  instance = await startInstance();
  instance.kernel.groups.add("sales", "Sales");
  ada = await person(instance, "ada", { groups: ["main"] });
});

afterEach(() => instance.dispose());

/** Lists every endpoint of one chat, with a body that would succeed for its owner. */
function endpoints(chat: string, file: string) {
  return [
    { method: "POST", path: `/web/chats/${chat}/messages`, body: { text: "hello" } },
    { method: "GET", path: `/web/chats/${chat}/events` },
    { method: "GET", path: `/web/chats/${chat}/messages` },
    { method: "POST", path: `/web/chats/${chat}/files`, body: { name: "a.txt", data: Buffer.from("x").toString("base64") } },
    { method: "GET", path: `/web/chats/${chat}/files/${file}` },
    { method: "GET", path: `/web/chats/${chat}/topics` },
    { method: "POST", path: `/web/chats/${chat}/topics`, body: { title: "plans" } },
    { method: "PATCH", path: `/web/chats/${chat}/topics/main`, body: { title: "renamed" } },
  ];
}

async function call(client: Client, endpoint: { method: string; path: string; body?: unknown }): Promise<{ status: number; code: string | undefined }> {
  if (endpoint.path.endsWith("/events")) {
    const stream = await client.events(endpoint.path.split("/")[3]!);
    stream.close();
    return { status: stream.status, code: stream.body ? JSON.parse(stream.body).error?.code : undefined };
  }
  const response = await client.request(endpoint.method, endpoint.path, endpoint.body);
  return { status: response.status, code: response.body?.error?.code };
}

/** Ada's chat with main, holding one message and one file. */
async function adasChat(): Promise<{ chat: string; file: string }> {
  const created = await ada.post("/web/chats", { group: "main" });
  expect(created.status).toBe(201);
  const { chat } = created.body;
  const upload = await ada.post(`/web/chats/${chat}/files`, { name: "dot.png", mime: "image/png", data: PNG.toString("base64") });
  expect(upload.status).toBe(201);
  expect((await ada.say(chat, "first")).status).toBe(202);
  return { chat, file: upload.body.id };
}

function stored() {
  return { messages: countRows(instance, "messages"), files: countRows(instance, "web_files"), topics: countRows(instance, "web_topics") };
}

describe("who may use a chat", () => {
  it("lets its owner use every endpoint", async () => {
    const { chat, file } = await adasChat();

    for (const endpoint of endpoints(chat, file)) expect((await call(ada, endpoint)).status, `${endpoint.method} ${endpoint.path}`).toBeLessThan(300);
  });

  it("answers 401 on every endpoint to a signed-out client", async () => {
    const { chat, file } = await adasChat();
    const before = stored();

    for (const endpoint of endpoints(chat, file)) {
      expect(await call(instance.client(), endpoint), `${endpoint.method} ${endpoint.path}`).toEqual({ status: 401, code: "ARZ_ERR_UNAUTHORIZED" });
    }
    expect((await instance.client().get("/web/chats")).status).toBe(401);
    expect((await instance.client().post("/web/chats", { group: "main" })).status).toBe(401);
    expect(stored()).toEqual(before);
  });

  it("hides a chat from another user of its group", async () => {
    const { chat, file } = await adasChat();
    const bob = await person(instance, "bob", { groups: ["main"] });
    const before = stored();

    for (const endpoint of endpoints(chat, file)) {
      expect(await call(bob, endpoint), `${endpoint.method} ${endpoint.path}`).toEqual({ status: 404, code: "ARZ_ERR_CHAT_NOT_FOUND" });
    }
    expect((await bob.get("/web/chats")).body.chats).toEqual([]);
    expect(stored()).toEqual(before);
  });

  it("answers 404 on every endpoint to a share-link visitor", async () => {
    const { chat, file } = await adasChat();
    const operator = await person(instance, "olga", { operator: true });
    const link = await operator.post("/admin/web/shares", { group: "main" });
    const visitor = new PageClient(instance.url);
    expect((await openShare(visitor, link.body.path)).status).toBe(303);
    const before = stored();

    for (const endpoint of endpoints(chat, file)) {
      expect(await call(visitor, endpoint), `${endpoint.method} ${endpoint.path}`).toEqual({ status: 404, code: "ARZ_ERR_CHAT_NOT_FOUND" });
    }
    expect(stored()).toEqual(before);
  });

  it("closes a chat to an unlinked user", async () => {
    const { chat, file } = await adasChat();
    expect((await instance.kernel.runCli(["user", "leave", "ada", "main"])).exitCode).toBe(0);
    const before = stored();

    for (const endpoint of endpoints(chat, file)) {
      expect(await call(ada, endpoint), `${endpoint.method} ${endpoint.path}`).toEqual({ status: 403, code: "ARZ_ERR_FORBIDDEN" });
    }
    expect((await ada.get("/web/chats")).body.chats).toEqual([]);
    expect((await ada.get("/web/session")).body.groups).toEqual([]);
    expect(stored()).toEqual(before);
  });

  it("ends an open stream once its user is unlinked", async () => {
    const { chat } = await adasChat();
    const stream = await ada.events(chat);
    await stream.until((events) => events.messages().length >= 2, 15_000, "the history");

    await instance.kernel.runCli(["user", "leave", "ada", "main"]);
    instance.kernel.outbound.notice({ chat: `web:local/${chat}`, topic: "", group: null, replyTo: null, text: "after the unlink" });

    await waitFor(() => stream.ended, { what: "the stream to end" });
    expect(stream.messages().map((message) => message.text)).not.toContain("after the unlink");
  });

  it("refuses a chat with a group the user is not linked to", async () => {
    const response = await ada.post("/web/chats", { group: "sales" });

    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain("arizuko user join ada sales");
    expect(countRows(instance, "web_chats")).toBe(0);
  });

  it("says a group does not exist", async () => {
    const operator = await person(instance, "olga", { operator: true });
    const response = await operator.post("/web/chats", { group: "nosuch" });

    expect([response.status, response.body.error.code]).toEqual([404, "ARZ_ERR_GROUP_NOT_FOUND"]);
    expect(response.body.error.message).toContain("GET /web/session lists the groups you may use");
  });

  it("asks a visitor left from the open mode to sign in", async () => {
    await instance.dispose();
    instance = await startInstance();
    const visitor = new PageClient(instance.url);
    expect((await visitor.say("old", "hello")).status).toBe(202);
    ada = await person(instance, "ada", { groups: ["main"] });

    expect((await visitor.get("/web/chats/old/messages")).status).toBe(401);
    expect((await visitor.say("old", "again")).status).toBe(401);
  });

  it("does not let a chat name be reused by someone else", async () => {
    expect((await ada.post("/web/chats", { group: "main", chat: "team" })).status).toBe(201);
    const bob = await person(instance, "bob", { groups: ["main"] });

    const response = await bob.post("/web/chats", { group: "main", chat: "team" });
    expect(response.status).toBe(409);
    expect((await bob.say("team", "let me in")).status).toBe(404);
  });

  it("treats an invalid session cookie as signed out on the session endpoint", async () => {
    const stale = instance.client();
    stale.setCookie("arizuko_access", "not-a-token");

    expect((await stale.get("/web/session")).body).toEqual({ access: "users", user: null, visitor: false, groups: [] });
    expect((await stale.get("/web/chats")).status).toBe(401);
  });

  it("asks for sign-in where the open chat used to let visitors in", async () => {
    const visitor = instance.client();

    expect((await visitor.say("c1", "hello")).status).toBe(401);
    expect((await visitor.get("/web/session")).body).toEqual({ access: "users", user: null, visitor: false, groups: [] });
    expect(countRows(instance, "web_chats")).toBe(0);
  });
});

describe("a signed-in user's chat", () => {
  it("runs in the chat's group with the user as sender", async () => {
    const operator = await person(instance, "olga", { operator: true });
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;
    const opsChat = (await operator.post("/web/chats", { group: "sales" })).body.chat;

    await ada.say(chat, "hello main");
    await operator.say(opsChat, "hello sales");

    const rows = await waitFor(() => {
      const found = instance.kernel.store.db
        .prepare("SELECT chat, sender, sender_name, group_folder, route_layer, state FROM messages WHERE direction = 'in' AND state = 'done' ORDER BY seq")
        .all() as Array<Record<string, string>>;
      return found.length === 2 ? found : null;
    });
    const ids = Object.fromEntries((instance.kernel.store.db.prepare("SELECT username, id FROM users").all() as Array<{ username: string; id: string }>).map((row) => [row.username, row.id]));
    expect(rows).toEqual([
      { chat: `web:local/${chat}`, sender: `web:${ids.ada}`, sender_name: "ada", group_folder: "main", route_layer: "web", state: "done" },
      { chat: `web:local/${opsChat}`, sender: `web:${ids.olga}`, sender_name: "olga", group_folder: "sales", route_layer: "web", state: "done" },
    ]);
    expect(instance.kernel.routing.senderRole({ sender: `web:${ids.ada}`, chat: `web:local/${chat}` })).toBe("member");
    expect(instance.kernel.routing.senderRole({ sender: `web:${ids.olga}`, chat: `web:local/${opsChat}` })).toBe("operator");
  });

  it("keeps topics apart, with titles that can change", async () => {
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;
    const topic = await ada.post(`/web/chats/${chat}/topics`, { title: "Holiday plans" });
    expect(topic.status).toBe(201);

    await ada.say(chat, "in general");
    await ada.say(chat, "in the topic", { topic: topic.body.topic });
    const history = await waitFor(async () => {
      const messages = (await ada.get(`/web/chats/${chat}/messages`)).body.messages as Array<{ from_agent: boolean; topic: string; text: string }>;
      return messages.filter((message) => message.from_agent).length === 2 ? messages : null;
    });
    const replies = history.filter((message) => message.from_agent);
    expect(replies.find((reply) => reply.text.includes("in general"))!.topic).toBe("");
    expect(replies.find((reply) => reply.text.includes("in the topic"))!.topic).toBe(topic.body.topic);

    expect((await ada.request("PATCH", `/web/chats/${chat}/topics/${topic.body.topic}`, { title: "Trip" })).status).toBe(200);
    expect((await ada.request("PATCH", `/web/chats/${chat}/topics/main`, { title: "Everyday" })).status).toBe(200);
    expect((await ada.get(`/web/chats/${chat}/topics`)).body.topics.map((entry: { title: string }) => entry.title)).toEqual(["Everyday", "Trip"]);
    expect((await ada.request("PATCH", `/web/chats/${chat}/topics/t_nope`, { title: "x" })).status).toBe(404);
    expect((await ada.post(`/web/chats/${chat}/topics`, { title: "   " })).status).toBe(400);
  });

  it("refuses a cookie-signed write without the CSRF token or from another site", async () => {
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;

    const noToken = await ada.post(`/web/chats/${chat}/messages`, { text: "forged" }, { "x-csrf-token": "" });
    const foreign = await ada.post(`/web/chats/${chat}/messages`, { text: "forged" }, { origin: "https://evil.example" });
    const noOrigin = await ada.post(`/web/chats/${chat}/messages`, { text: "forged" }, { origin: "" });

    for (const response of [noToken, foreign, noOrigin]) {
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe("ARZ_ERR_CSRF");
    }
    expect(countRows(instance, "messages")).toBe(0);
  });

  it("accepts an API client's bearer token without cookies", async () => {
    const token = (await instance.client().post("/auth/token", { username: "ada", password: ada.password })).body.access_token;
    const api = instance.client();
    const bearer = { authorization: `Bearer ${token}` };

    const chat = await api.post("/web/chats", { group: "main" }, bearer);
    expect(chat.status).toBe(201);
    expect((await api.post(`/web/chats/${chat.body.chat}/messages`, { text: "from a script" }, bearer)).status).toBe(202);
    expect((await api.get("/web/chats", bearer)).body.chats).toHaveLength(1);
  });

  it("refuses the admin token and an expired access token with 401", async () => {
    const adminToken = (await import("node:fs")).readFileSync(`${instance.dataDir}/admin.token`, "utf8").trim();
    const withAdmin = await instance.client().get("/web/chats", { authorization: `Bearer ${adminToken}` });
    expect(withAdmin.status).toBe(401);
    expect(withAdmin.body.error.message).toContain("sign in as a user");

    const stale = instance.client();
    stale.setCookie("arizuko_access", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
    expect((await stale.get("/web/chats")).status).toBe(401);
  });
});

describe("files", () => {
  it("stores, attaches and serves an upload", async () => {
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;
    const upload = await ada.post(`/web/chats/${chat}/files`, { name: "../../etc/dot.png", mime: "image/png", data: PNG.toString("base64") });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ name: ".._.._etc_dot.png", mime: "image/png", size: PNG.length, kind: "image" });

    expect((await ada.say(chat, "", { attachments: [upload.body.id] })).status).toBe(202);
    const [message] = (await ada.get(`/web/chats/${chat}/messages`)).body.messages;
    expect(message.attachments).toEqual([
      { id: upload.body.id, name: ".._.._etc_dot.png", mime: "image/png", size: PNG.length, kind: "image", url: `/web/chats/${chat}/files/${upload.body.id}` },
    ]);

    const response = await fetch(`${instance.url}${message.attachments[0].url}`, { headers: { cookie: ada.cookieHeader } });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
  });

  it("serves markup files as downloads, never inline", async () => {
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;
    const upload = await ada.post(`/web/chats/${chat}/files`, { name: "x.svg", mime: "image/svg+xml", data: Buffer.from("<svg onload=alert(1)>").toString("base64") });

    const response = await fetch(`${instance.url}/web/chats/${chat}/files/${upload.body.id}`, { headers: { cookie: ada.cookieHeader } });
    expect(response.headers.get("content-disposition")).toMatch(/^attachment;/);
  });

  it("refuses oversize and foreign files", async () => {
    await instance.dispose();
    instance = await startInstance({ config: { plugins: [{ use: "web", config: { maxUploadBytes: 1024 } }, "route-table", "route-sticky", "route-command", "route-reply", "route-prefix"] } });
    ada = await person(instance, "ada", { groups: ["main"] });
    const chat = (await ada.post("/web/chats", { group: "main" })).body.chat;
    const other = (await ada.post("/web/chats", { group: "main" })).body.chat;

    const big = await ada.post(`/web/chats/${chat}/files`, { name: "big.bin", data: Buffer.alloc(1025).toString("base64") });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toContain("maxUploadBytes");
    // Far over the limit, the body is refused before it is read whole, with the same file limit named.
    const huge = await ada.post(`/web/chats/${chat}/files`, { name: "huge.bin", data: Buffer.alloc(20_000).toString("base64") });
    expect([huge.status, huge.body.error]).toEqual([413, { code: "ARZ_ERR_FILE_TOO_LARGE", message: "the file is larger than the upload limit of 1024 bytes (web config maxUploadBytes)" }]);

    const small = await ada.post(`/web/chats/${chat}/files`, { name: "small.bin", data: Buffer.alloc(10).toString("base64") });
    const crossed = await ada.say(other, "", { attachments: [small.body.id] });
    expect(crossed.status).toBe(400);
    expect(crossed.body.error.code).toBe("ARZ_ERR_UNKNOWN_FILE");
  });
});
