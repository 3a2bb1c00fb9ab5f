/**
 * Share links: an operator's public link to one group, where each visitor gets a chat
 * of their own, limited per IP address, closed when the link is revoked.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { openShare, PageClient, person } from "./helpers/people.js";

let instance: TestInstance;
afterEach(() => instance.dispose());

const DEFAULT_ROUTING = ["route-table", "route-sticky", "route-command", "route-reply", "route-prefix"];

async function start(web: Record<string, unknown> = {}): Promise<void> {
  instance = await startInstance({ config: { plugins: [{ use: "web", config: web }, ...DEFAULT_ROUTING] } });
  instance.kernel.groups.add("support", "Support");
  // An account exists, so the web chat requires sign-in or a share link.
  await person(instance, "ada", { groups: ["main"] });
}

async function shareWithCli(group: string): Promise<{ id: string; path: string }> {
  const result = await instance.kernel.runCli(["web", "share", group, "--note", "website"]);
  expect(result.exitCode, result.stderr).toBe(0);
  return { id: /share link (share_\w+)/.exec(result.stdout)![1]!, path: /^\s+(\/s\/\S+)$/m.exec(result.stdout)![1]! };
}

describe("share links", () => {
  it("gives each visitor a chat of their own with the link's group", async () => {
    await start();
    const { path } = await shareWithCli("support");
    const first = new PageClient(instance.url);
    const second = new PageClient(instance.url);

    const opened = await openShare(first, path);
    expect(opened.status).toBe(303);
    const chat = opened.location!.slice("/#".length);
    expect(chat).toMatch(/^s_[A-Za-z0-9_-]{12}$/);
    expect((await openShare(first, path)).location).toBe(`/#${chat}`);
    const other = (await openShare(second, path)).location!.slice("/#".length);
    expect(other).not.toBe(chat);

    expect((await first.get("/web/session")).body).toEqual({ access: "users", user: null, visitor: true, groups: [] });
    expect((await first.get("/web/chats")).body.chats).toEqual([expect.objectContaining({ chat, group: "support", shared: true })]);
    expect((await first.say(chat, "hello support")).status).toBe(202);
    expect((await second.get(`/web/chats/${chat}/messages`)).status).toBe(404);
    expect((await first.post("/web/chats", { group: "main" })).status).toBe(403);

    const row = await waitFor(() =>
      instance.kernel.store.db.prepare("SELECT sender, group_folder, route_layer FROM messages WHERE chat = ? AND direction = 'in' AND state = 'done'").get(`web:local/${chat}`) as
        | { sender: string; group_folder: string; route_layer: string }
        | undefined,
    );
    expect(row).toMatchObject({ group_folder: "support", route_layer: "web" });
    expect(instance.kernel.routing.senderRole({ sender: row.sender, chat: `web:local/${chat}` })).toBe("guest");
    const reply = await waitFor(async () => (await first.get(`/web/chats/${chat}/messages`)).body.messages.find((message: { from_agent: boolean }) => message.from_agent));
    expect(reply.group).toBe("support");
  });

  it("closes the visitors' chats when the link is revoked", async () => {
    await start();
    const operator = await person(instance, "olga", { operator: true });
    const made = await operator.post("/admin/web/shares", { group: "support", note: "docs page" });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ group: "support", note: "docs page", revoked_at: null, path: expect.stringMatching(/^\/s\/sl_/) });
    const visitor = new PageClient(instance.url);
    const chat = (await openShare(visitor, made.body.path)).location!.slice("/#".length);
    expect((await visitor.say(chat, "hi")).status).toBe(202);

    const revoked = await operator.request("DELETE", `/admin/web/shares/${made.body.id}`);
    expect(revoked.body).toEqual({ id: made.body.id, revoked: true });
    const closed = await visitor.say(chat, "still there?");
    expect([closed.status, closed.body.error.code]).toEqual([403, "ARZ_ERR_SHARE_REVOKED"]);
    expect(closed.body.error.message).toContain("ask whoever gave it to you for a new one");
    expect((await visitor.get(`/web/chats/${chat}/messages`)).status).toBe(403);
    expect((await openShare(visitor, made.body.path)).status).toBe(404);
    expect((await operator.get("/admin/web/shares")).body.shares).toEqual([expect.objectContaining({ id: made.body.id, revoked_at: expect.any(Number) })]);
    expect((await instance.kernel.runCli(["web", "unshare", made.body.id])).stdout.trim()).toBe(`share link ${made.body.id} was already revoked`);
  });

  it("ends an idle stream at once when the link is revoked", async () => {
    await start();
    const { id, path } = await shareWithCli("support");
    const visitor = new PageClient(instance.url);
    const chat = (await openShare(visitor, path)).location!.slice("/#".length);
    const stream = await visitor.events(chat);
    expect(stream.status).toBe(200);

    await instance.kernel.runCli(["web", "unshare", id]);

    await waitFor(() => stream.ended, { what: "the stream to end", timeoutMs: 2_000 });
    expect((await visitor.events(chat)).status).toBe(403);
  });

  it("rejects a visitor's write without an Origin", async () => {
    await start();
    const { path } = await shareWithCli("support");
    const visitor = instance.client();
    const chat = (await openShare(visitor, path)).location!.slice("/#".length);

    const response = await visitor.say(chat, "from a script");
    expect([response.status, response.body.error.code]).toEqual([403, "ARZ_ERR_CSRF"]);
    const foreign = await visitor.post(`/web/chats/${chat}/messages`, { text: "forged" }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });

  it("limits openings and messages per IP address with a clear 429", async () => {
    await start({ shareVisitsPerHour: 2, shareMessagesPerMinute: 2 });
    const { path } = await shareWithCli("support");
    const visitor = new PageClient(instance.url);
    const chat = (await openShare(visitor, path)).location!.slice("/#".length);
    await openShare(new PageClient(instance.url), path);

    const third = await openShare(new PageClient(instance.url), path);
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error.message).toMatch(/^too many share link visits from this address; try again in \d+ s$/);

    expect((await visitor.say(chat, "one")).status).toBe(202);
    expect((await visitor.say(chat, "two")).status).toBe(202);
    const over = await visitor.say(chat, "three");
    expect(over.status).toBe(429);
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE chat = ? AND direction = 'in'").get(`web:local/${chat}`)).toEqual({ n: 2 });
  });

  it("answers 404 to a wrong or malformed token", async () => {
    await start();
    await shareWithCli("support");

    for (const path of ["/s/sl_" + "A".repeat(43), "/s/nonsense", "/s/%00"]) {
      const response = await openShare(new PageClient(instance.url), path);
      expect(response.status, path).toBe(404);
    }
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM web_chats").get()).toEqual({ n: 0 });
  });

  it("is for operators only to make, list and revoke", async () => {
    await start();
    const ada = await person(instance, "bob", { groups: ["main"] });

    expect((await ada.post("/admin/web/shares", { group: "support" })).status).toBe(403);
    expect((await ada.get("/admin/web/shares")).status).toBe(403);
    expect((await new PageClient(instance.url).post("/admin/web/shares", { group: "support" })).status).toBe(401);
    const unknownGroup = await instance.kernel.runCli(["web", "share", "nowhere"]);
    expect(unknownGroup.exitCode).toBe(1);
    expect(unknownGroup.stderr).toContain("no group nowhere");
    expect((await instance.kernel.runCli(["web", "shares"])).stdout.trim()).toBe("no share links; make one with `arizuko web share GROUP`");
  });
});
