/**
 * The operator's tools for the route table over a real kernel: the admin HTTP API
 * (fastify on 127.0.0.1, the token from data/admin.token) and `arizuko route move`
 * and `route explain`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";

let instance: TestInstance;
let token: string;

beforeEach(async () => {
  instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") } } });
  instance.kernel.groups.add("main/research");
  token = readFileSync(join(instance.dataDir, "admin.token"), "utf8").trim();
});
afterEach(() => instance.dispose());

async function admin(method: string, path: string, body?: unknown, auth: string | null = `Bearer ${token}`) {
  const response = await fetch(instance.url + path, {
    method,
    headers: { ...(auth !== null && { authorization: auth }), ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe("admin routes API", () => {
  it.each([
    ["no Authorization header", null, "no credentials"],
    ["a wrong token", "Bearer not-the-token", "the token is not a valid arizuko access token"],
    ["another scheme", "Basic YWRtaW46YWRtaW4=", "the Authorization header must be `Bearer <token>`"],
  ])("refuses a request with %s", async (_name, auth, problem) => {
    const response = await admin("GET", "/admin/routes", undefined, auth);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("ARZ_ERR_UNAUTHORIZED");
    expect(response.body.error.message).toContain(problem);
    expect(response.body.error.message).toContain("the admin token from <data>/admin.token");
  });

  it("adds, lists, moves and removes rows", async () => {
    const added = await admin("POST", "/admin/routes", { match: "chat=web:local/lab-*", target: "main/research" });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ match: "chat=web:local/lab-*", target: "main/research", mode: "run" });

    const moved = await admin("PATCH", `/admin/routes/${added.body.id}`, { seq: 1 });
    expect(moved).toMatchObject({ status: 200, body: { id: added.body.id, seq: 1 } });
    const listed = await admin("GET", "/admin/routes");
    expect(listed.body.routes.map((row: { target: string }) => row.target)).toEqual(["main/research", "main"]);

    expect((await admin("DELETE", `/admin/routes/${added.body.id}`)).status).toBe(204);
    expect((await admin("GET", "/admin/routes")).body.routes.map((row: { target: string }) => row.target)).toEqual(["main"]);
  });

  it.each([
    [{ match: "platfrom=web", target: "main" }, "ARZ_ERR_ROUTE_MATCH", 'invalid route term "platfrom=web": unknown key "platfrom"'],
    [{ match: "web", target: "main" }, "ARZ_ERR_ROUTE_MATCH", 'invalid route term "web": expected key=glob'],
    [{ match: "text~(a+)+$", target: "main" }, "ARZ_ERR_ROUTE_MATCH", "can take exponential time"],
    [{ match: "text~[unclosed", target: "main" }, "ARZ_ERR_ROUTE_MATCH", "not a valid regular expression"],
    [{ match: `text~${"a".repeat(201)}`, target: "main" }, "ARZ_ERR_ROUTE_MATCH", "longer than 200 characters"],
    [{ match: "platform=web", target: "nope" }, "ARZ_ERR_ROUTE_TARGET", "group nope does not exist; create it with `arizuko group add nope` first"],
    [{ match: "platform=web", target: "Main" }, "ARZ_ERR_ROUTE_TARGET", 'invalid route target "Main"'],
    [{ match: "platform=web", target: "main", mode: "loud" }, "ARZ_ERR_INVALID_REQUEST", 'body.mode must be one of "run", "observe"'],
    [{ match: "chat=web:*", target: "main" }, "ARZ_ERR_ROUTE_MATCH", "a chat JID always contains `/`"],
  ])("rejects %j with a message naming the problem", async (body, code, message) => {
    const response = await admin("POST", "/admin/routes", body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toContain(message);
    expect((await admin("GET", "/admin/routes")).body.routes).toHaveLength(1);
  });

  it("answers 404 for a row that does not exist", async () => {
    expect((await admin("PATCH", "/admin/routes/999", { seq: 5 })).body.error.message).toBe("no route with id 999; GET /admin/routes lists them");
    expect((await admin("DELETE", "/admin/routes/999")).status).toBe(404);
  });

  it("explains a message without storing it", async () => {
    const explained = await admin("POST", "/admin/routes/explain", { chat: "web:local/c1", sender: "web:v_visitor", text: "@research find sources" });
    expect(explained.status).toBe(200);
    expect(explained.body).toMatchObject({
      role: "guest",
      denial: null,
      control: null,
      result: { state: "done", group: "main/research", layer: "route-prefix", delegatedTo: "main/research" },
    });
    expect(explained.body.stages.map((stage: { plugin: string; stage: number }) => [stage.plugin, stage.stage])).toEqual([
      ["route-table", 100],
      ["web", 150],
      ["route-sticky", 200],
      ["route-reply", 300],
      ["route-prefix", 400],
    ]);
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });

  it("rejects an explain request with a bad chat JID", async () => {
    const response = await admin("POST", "/admin/routes/explain", { chat: "not a jid", sender: "web:v_visitor", text: "hi" });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/not a jid/);
  });
});

describe("route commands for operators", () => {
  it("moves a row", async () => {
    const added = await instance.kernel.runCli(["route", "add", "chat=web:local/lab-*", "main/research"]);
    const id = /route (\d+) added/.exec(added.stdout)![1];
    const moved = await instance.kernel.runCli(["route", "move", id!, "5"]);
    expect(moved.stdout.trim()).toBe(`route ${id} moved to seq 5`);
  });

  it("names the bad term when adding fails", async () => {
    const result = await instance.kernel.runCli(["route", "add", "platform=web sendr=x", "main"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/invalid route term "sendr=x": unknown key "sendr"; keys are platform, account, chat, sender, verb, topic, and text~regex/);
  });

  it("explains stage by stage", async () => {
    const result = await instance.kernel.runCli(["route", "explain", "--chat", "web:local/c1", "--sender", "web:v_visitor", "--text", "#ops deploy now"]);
    expect(result.stdout.trim().split("\n")).toEqual([
      "sender role: guest",
      "admission: admitted",
      "control: not a control message",
      "stage 100 route-table: decides main (route #1 (platform=web) → main)",
      "stage 150 web: passes",
      "stage 200 route-sticky: passes",
      "stage 300 route-reply: passes",
      "stage 400 route-prefix: decides main #ops (#ops prefix)",
      "result: pending → main #ops by route-prefix (#ops prefix)",
      "session: new",
    ]);
  });

  it("explains a control message", async () => {
    const result = await instance.kernel.runCli(["route", "explain", "--chat", "web:local/c1", "--sender", "web:v_visitor", "--text", "@main/research"]);
    expect(result.stdout).toContain('control: handled by route-sticky (sticky: pinned to main/research); replies "routing → main/research"; never an agent turn');
  });

  it("asks for the options it needs", async () => {
    const result = await instance.kernel.runCli(["route", "explain", "--chat", "web:local/c1", "--text", "hi"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/route explain needs --sender/);
  });
});
