/**
 * Users beyond sign-in: the groups they may use (`arizuko user join|leave`), chat
 * accounts they linked counting as them for admission and grants, and pairing codes
 * approved by an operator signed in on the web.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "./helpers/client.js";
import { RoutingWorld } from "./helpers/routing-world.js";
import { waitFor } from "./helpers/wait.js";

const CODE = /[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

let world: RoutingWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

async function addUser(name: string, operator = false): Promise<string> {
  const result = await world!.kernel.runCli(["user", "add", name, ...(operator ? ["--operator"] : [])]);
  expect(result.exitCode, result.stderr).toBe(0);
  return /\(shown once\): (\S+)/.exec(result.stdout)![1]!;
}

/** A browser signed in with cookies; returns the client and its CSRF token. */
async function browser(name: string, password: string): Promise<{ client: Client; csrf: string }> {
  const client = new Client(world!.instance.url);
  const response = await client.post("/auth/login", { username: name, password }, { origin: world!.instance.url });
  expect(response.status).toBe(200);
  return { client, csrf: response.body.csrf_token };
}

describe("user groups", () => {
  it("links and unlinks a user and a group, and lists them", async () => {
    world = await RoutingWorld.start();
    await addUser("ada");
    world.kernel.groups.add("sales", "Sales");

    const joined = await world.kernel.runCli(["user", "join", "ada", "sales"]);
    expect([joined.exitCode, joined.stdout.trim()]).toEqual([0, "ada may now use sales"]);
    expect((await world.kernel.runCli(["user", "join", "ada", "sales"])).stdout.trim()).toBe("ada may already use sales; nothing to do");
    const missing = await world.kernel.runCli(["user", "join", "ada", "nowhere"]);
    expect([missing.exitCode, missing.stderr.trim()]).toEqual([1, "error ARZ_ERR_USER: no group nowhere; see `arizuko group list`"]);
    expect((await world.kernel.runCli(["user", "list"])).stdout).toMatch(/^USERNAME\s+ROLE\s+GROUPS\s+CREATED\nada\s+user\s+sales\s/);

    const ada = world.kernel.auth.users.byName("ada")!;
    expect(world.kernel.people.groupsOf(ada.id)).toEqual(["sales"]);
    expect(world.kernel.people.mayUse(ada.id, "main")).toBe(false);

    expect((await world.kernel.runCli(["user", "leave", "ada", "sales"])).stdout.trim()).toBe("ada may no longer use sales");
    expect(world.kernel.people.groupsOf(ada.id)).toEqual([]);
  });

  it("lets an operator use every group without links", async () => {
    world = await RoutingWorld.start();
    await addUser("olga", true);
    world.kernel.groups.add("sales", "Sales");
    const olga = world.kernel.auth.users.byName("olga")!;

    const every = world.kernel.groups.list().map((group) => group.folder);
    expect(every).toContain("sales");
    expect(world.kernel.people.groupsOf(olga.id)).toEqual(every);
    expect(world.kernel.people.mayUse(olga.id, "sales")).toBe(true);
    expect(world.kernel.people.mayUse(olga.id, "nowhere")).toBe(false);
  });

  it("drops a removed user's links", async () => {
    world = await RoutingWorld.start();
    await addUser("ada");
    await world.kernel.runCli(["user", "join", "ada", "main"]);
    await world.kernel.runCli(["user", "rm", "ada"]);

    expect(world.kernel.store.db.prepare("SELECT count(*) AS n FROM user_groups").get()).toEqual({ n: 0 });
  });
});

describe("chat accounts of users", () => {
  it("admits a sender whose account a user linked, with the user's role", async () => {
    world = await RoutingWorld.start({ config: { admission: { test: { policy: "allowlist" } } } });
    await addUser("ada");
    await addUser("olga", true);
    const chat = world.channel.jid("dm");
    // A sign-in with the provider of the same name links these (see sign-in-providers.test.ts).
    world.kernel.auth.identities.link("test", "ada-account", world.kernel.auth.users.byName("ada")!.id, "Ada");

    const stranger = await world.explain({ chat, sender: "test:someone", text: "hi" });
    expect(stranger.denial).toBe("sender test:someone is not on the test allowlist");
    // Only providers whose ids are chat sender ids (telegram, discord) link chat accounts.
    expect((await world.explain({ chat, sender: "test:ada-account", text: "hi" })).denial).not.toBeNull();

    world.kernel.auth.identities.link("telegram", "111", world.kernel.auth.users.byName("ada")!.id, "Ada");
    world.kernel.auth.identities.link("discord", "222", world.kernel.auth.users.byName("olga")!.id, "Olga");
    expect(world.kernel.people.bySender("telegram:111")?.username).toBe("ada");
    expect(world.kernel.routing.senderRole({ sender: "telegram:111", chat: "telegram:600/111" })).toBe("member");
    expect(world.kernel.routing.senderRole({ sender: "discord:222", chat: "discord:700/1" })).toBe("operator");
    expect(world.kernel.routing.senderRole({ sender: "telegram:999", chat: "telegram:600/999" })).toBe("guest");
  });

  it("admits a user's web sender on every policy", async () => {
    world = await RoutingWorld.start({ config: { admission: { test: { policy: "allowlist" } } } });
    await addUser("ada");
    const ada = world.kernel.auth.users.byName("ada")!;

    const explained = await world.explain({ chat: world.channel.jid("dm"), sender: `web:${ada.id}`, text: "hi" });
    expect(explained.denial).toBeNull();
    expect(explained.role).toBe("member");
    expect(world.kernel.people.bySender("web:usr_unknown")).toBeNull();
    expect(world.kernel.people.bySender("web:v_abcdefghijklmnopqrstuv")).toBeNull();
  });
});

describe("pairing on the web", () => {
  async function pendingCode(): Promise<string> {
    await world!.say("dm", "hello?", { sender: "test:mallory", direct: true });
    return waitFor(() => world!.channel.sent.map((chunk) => CODE.exec(chunk.text)?.[0]).find(Boolean), { what: "the pairing code" });
  }

  it("lets an operator signed in on the web list and approve codes", async () => {
    world = await RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } } } });
    const code = await pendingCode();
    const { client, csrf } = await browser("olga", await addUser("olga", true));
    const origin = world.instance.url;

    const listed = await client.get("/admin/pairings");
    expect(listed.status).toBe(200);
    expect(listed.body.pairings).toEqual([expect.objectContaining({ code, sender: "test:mallory", chat: "test:bot/dm", platform: "test" })]);

    const forged = await client.post(`/admin/pairings/${code}/approve`, {}, { origin });
    expect([forged.status, forged.body.error.code]).toEqual([403, "ARZ_ERR_CSRF"]);

    const approved = await client.post(`/admin/pairings/${code.replace("-", "").toLowerCase()}/approve`, {}, { origin, "x-csrf-token": csrf });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ sender: "test:mallory", platform: "test" });
    expect((await client.get("/admin/pairings")).body.pairings).toEqual([]);
    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("member");

    const revoked = await client.post("/admin/approvals/revoke", { sender: "test:mallory" }, { origin, "x-csrf-token": csrf });
    expect(revoked.body).toEqual({ sender: "test:mallory", revoked: true });
    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("guest");
  });

  it("refuses plain users and signed-out callers, and says when a code is unknown", async () => {
    world = await RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } } } });
    const code = await pendingCode();
    const { client, csrf } = await browser("ada", await addUser("ada"));
    const origin = world.instance.url;

    expect((await client.post(`/admin/pairings/${code}/approve`, {}, { origin, "x-csrf-token": csrf })).status).toBe(403);
    expect((await new Client(origin).get("/admin/pairings")).status).toBe(401);

    const operator = await browser("olga", await addUser("olga", true));
    const unknown = await operator.client.post("/admin/pairings/AAAA-BBBB/approve", {}, { origin, "x-csrf-token": operator.csrf });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "ARZ_ERR_PAIRING_NOT_FOUND"]);
    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("guest");
  });
});
