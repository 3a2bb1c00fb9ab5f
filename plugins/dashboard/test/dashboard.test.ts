/**
 * The dashboard over HTTP: every URL needs an operator, writes pass the CSRF check and
 * land in the audit log, and the Status page shows the instance's state. A real kernel
 * with the default plugins and a loopback test channel under the pairing policy.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Client } from "../../../core/test/helpers/client.js";
import { OPERATOR, RoutingWorld } from "../../../core/test/helpers/routing-world.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person, type Person } from "../../web/test/helpers/people.js";

const CODE = /[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

let world: RoutingWorld;
let olga: Person;

beforeEach(async () => {
  world = await RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } } }, plugins: ["web", "route-table", "dashboard"] });
  olga = await person(world.instance, "olga", { operator: true });
});

afterEach(() => world.dispose());

/** Makes `sender` write to the bot and returns the pairing code it was sent. */
async function pendingCode(sender = "test:mallory"): Promise<string> {
  const codes = () => world.channel.sent.flatMap((chunk) => CODE.exec(chunk.text)?.[0] ?? []);
  const before = codes().length;
  await world.say("dm", "hello?", { sender, direct: true });
  return waitFor(() => codes()[before], { what: "the pairing code" });
}

interface DashUrl {
  method: string;
  path: string;
  kind: "page" | "fragment" | "write";
  body?: Record<string, string>;
}

/** Lists every dashboard URL: pages, fragments, the event stream and the writes, with bodies an operator could send. */
function urls(code: string): DashUrl[] {
  const seq = (world.kernel.store.db.prepare("SELECT max(seq) AS seq FROM messages").get() as { seq: number }).seq;
  const route = (world.kernel.store.db.prepare("SELECT min(id) AS id FROM route_table_routes").get() as { id: number }).id;
  return [
    { method: "GET", path: "/dash", kind: "page" },
    ...["overview", "plugins", "channels", "pairings", "runs", "panels", "audit"].map((id) => ({ method: "GET", path: `/dash/fragments/${id}`, kind: "fragment" as const })),
    { method: "GET", path: "/dash/events", kind: "fragment" },
    { method: "POST", path: `/dash/pairings/${code}/approve`, kind: "write" },
    { method: "POST", path: `/dash/pairings/${code}/reject`, kind: "write" },
    { method: "GET", path: "/dash/activity?platform=test", kind: "page" },
    { method: "GET", path: `/dash/activity/${seq}`, kind: "page" },
    { method: "GET", path: "/dash/activity/list?chat=test%3Abot%2Fdm", kind: "fragment" },
    { method: "GET", path: `/dash/activity/${seq}/trace`, kind: "fragment" },
    { method: "GET", path: "/dash/groups", kind: "page" },
    { method: "GET", path: "/dash/groups/main/research", kind: "page" },
    { method: "GET", path: "/dash/groups/main?file=PERSONA.md", kind: "page" },
    { method: "POST", path: "/dash/groups", kind: "write", body: { folder: "sales", name: "Sales" } },
    { method: "POST", path: "/dash/groups/rename", kind: "write", body: { folder: "main", name: "Renamed" } },
    { method: "POST", path: "/dash/groups/grants", kind: "write", body: { folder: "main", rules: "!send" } },
    { method: "POST", path: "/dash/groups/remove", kind: "write", body: { folder: "other" } },
    { method: "GET", path: "/dash/runs?day=2026-12-05", kind: "page" },
    { method: "POST", path: "/dash/runs/run_0mxalq4d0cj4ulm2kso4i/stop", kind: "write" },
    { method: "GET", path: "/dash/routes", kind: "page" },
    { method: "POST", path: "/dash/routes", kind: "write", body: { match: "platform=web", target: "main" } },
    { method: "POST", path: `/dash/routes/${route}/edit`, kind: "write", body: { match: "platform=test", target: "other" } },
    { method: "POST", path: `/dash/routes/${route}/down`, kind: "write", body: {} },
    { method: "POST", path: `/dash/routes/${route}/up`, kind: "write", body: {} },
    { method: "POST", path: `/dash/routes/${route}/delete`, kind: "write", body: {} },
    { method: "POST", path: "/dash/routes/explain", kind: "write", body: { chat: "test:bot/dm", sender: "test:x", text: "hi" } },
  ];
}

/** Reads the state the sweeps must leave unchanged. */
function snapshot() {
  const db = world.kernel.store.db;
  return {
    groups: db.prepare("SELECT folder, name FROM groups ORDER BY folder").all(),
    grants: db.prepare("SELECT * FROM group_grants").all(),
    routes: db.prepare("SELECT * FROM route_table_routes ORDER BY id").all(),
    pairings: world.kernel.instance.pairings.pending().length,
    audit: world.kernel.instance.audit.list(10).length,
  };
}

async function call(client: Client, url: DashUrl, headers: Record<string, string> = {}) {
  const body = url.body ? JSON.stringify(url.body) : undefined;
  const response = await fetch(client.base + url.path, {
    method: url.method,
    redirect: "manual",
    headers: { cookie: client.cookieHeader, ...(body && { "content-type": "application/json" }), ...headers },
    body,
  });
  const status = response.status;
  const location = response.headers.get("location");
  await response.body?.cancel();
  return { status, location };
}

describe("dashboard access", () => {
  it("sends a signed-out browser to sign-in from every URL", async () => {
    const code = await pendingCode();
    const before = snapshot();

    for (const url of urls(code)) {
      const result = await call(new Client(world.instance.url), url);
      if (url.kind === "page") expect(result, url.path).toEqual({ status: 303, location: `/dash/sign-in?next=${encodeURIComponent(url.path)}` });
      else expect(result.status, url.path).toBe(401);
    }
    expect(snapshot()).toEqual(before);
  });

  it("refuses a signed-in user who is not an operator on every URL", async () => {
    const code = await pendingCode();
    const ada = await person(world.instance, "ada");
    const before = snapshot();

    for (const url of urls(code)) {
      const result = await call(ada, url, { origin: ada.base, "x-csrf-token": ada.csrf });
      expect(result.status, url.path).toBe(403);
    }
    expect(snapshot()).toEqual(before);
    expect(world.kernel.instance.audit.list(10)).toEqual([]);
  });

  it("answers a refused caller before reading what they sent", async () => {
    const ada = await person(world.instance, "ada");
    const malformed: DashUrl[] = [
      { method: "GET", path: "/dash/activity?before=yesterday", kind: "page" },
      { method: "GET", path: "/dash/activity/not-a-seq/trace", kind: "fragment" },
      { method: "POST", path: "/dash/groups", kind: "write", body: { colour: "red" } },
    ];

    for (const url of malformed) {
      const signedOut = await call(new Client(world.instance.url), url);
      expect(signedOut.status, url.path).toBe(url.kind === "page" ? 303 : 401);
      expect((await call(ada, url, { origin: ada.base, "x-csrf-token": ada.csrf })).status, url.path).toBe(403);
      expect((await call(olga, url, { origin: olga.base, "x-csrf-token": olga.csrf })).status, url.path).toBe(400);
    }
  });

  it("serves every URL to an operator", async () => {
    const code = await pendingCode();

    for (const url of urls(code).filter((entry) => entry.method === "GET")) {
      const result = await call(olga, url);
      expect(result.status, url.path).toBe(200);
    }
  });

  it("rejects a write without the CSRF token", async () => {
    const code = await pendingCode();

    const forged = await call(olga, { method: "POST", path: `/dash/pairings/${code}/approve` }, { origin: olga.base });
    const foreign = await call(olga, { method: "POST", path: `/dash/pairings/${code}/approve` }, { origin: "https://evil.example", "x-csrf-token": olga.csrf });
    expect(forged.status).toBe(403);
    expect(foreign.status).toBe(403);
    expect(world.kernel.instance.pairings.pending()).toHaveLength(1);
    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("guest");
  });
});

describe("B22: writes from another site", () => {
  it("never stop a run, and a same-site request with the token does", async () => {
    await world.say("c1", "slow 30000", { sender: OPERATOR });
    const run = await waitFor(() => world.kernel.runs.active()[0], { what: "the slow run" });
    const stop: DashUrl = { method: "POST", path: `/dash/runs/${run.runId}/stop`, kind: "write" };
    const live = () => world.kernel.runs.active().some((active) => active.runId === run.runId);

    expect((await call(olga, stop, { origin: "https://evil.example" })).status).toBe(403);
    expect(live()).toBe(true);
    expect((await call(olga, stop, { origin: "https://evil.example", "x-csrf-token": olga.csrf, "hx-request": "true" })).status).toBe(403);
    expect(live()).toBe(true);
    expect((await call(olga, { ...stop, method: "GET" })).status).toBe(404);
    expect(live()).toBe(true);
    expect(world.kernel.instance.audit.list(10)).toEqual([]);

    const stopped = await call(olga, stop, { origin: olga.base, "x-csrf-token": olga.csrf, "hx-request": "true" });
    expect(stopped.status).toBe(200);
    await waitFor(() => !live(), { what: "the run to stop" });
    expect(world.kernel.store.db.prepare("SELECT state FROM runs WHERE id = ?").get(run.runId)).toEqual({ state: "stopped" });
    expect(world.kernel.instance.audit.list(1)[0]).toMatchObject({ actor: "user:olga", action: "run.stop", target: `run ${run.runId}` });
    expect((await call(olga, stop, { origin: olga.base, "x-csrf-token": olga.csrf })).status).toBe(404);
  });

  it("rejects cross-site writes and GETs", async () => {
    const code = await pendingCode();
    const before = snapshot();

    for (const url of urls(code).filter((entry) => entry.kind === "write")) {
      const forged = await call(olga, url, { origin: "https://evil.example", "x-csrf-token": olga.csrf });
      expect(forged.status, url.path).toBe(403);
      const tokenless = await call(olga, url, { origin: olga.base });
      expect(tokenless.status, url.path).toBe(403);
      const read = await call(olga, { ...url, method: "GET", body: undefined });
      expect([200, 404], url.path).toContain(read.status);
    }
    expect(snapshot()).toEqual(before);
  });
});

describe("status page", () => {
  it("approves and rejects pairing requests and records who did it", async () => {
    const first = await pendingCode("test:mallory");
    const second = await pendingCode("test:trent");

    const approved = await olga.post(`/dash/pairings/${first}/approve`, undefined);
    expect(approved.status).toBe(200);
    expect(approved.body).toContain(second);
    expect(approved.body).not.toContain(first);
    const rejected = await olga.post(`/dash/pairings/${second}/reject`, undefined);
    expect(rejected.body).toContain("no pairing requests waiting");

    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("member");
    expect(world.kernel.routing.senderRole({ sender: "test:trent", chat: "test:bot/dm" })).toBe("guest");
    expect(world.kernel.instance.audit.list(10).map(({ actor, action, target, detail }) => ({ actor, action, target, detail }))).toEqual([
      { actor: "user:olga", action: "pairing.reject", target: second, detail: "test:trent" },
      { actor: "user:olga", action: "pairing.approve", target: first, detail: "test:mallory" },
    ]);
    expect((await olga.post(`/dash/pairings/${second}/reject`, undefined)).status).toBe(404);
  });

  it("shows plugins, channels, the queue and the audit log", async () => {
    await pendingCode();
    const page = await olga.get("/dash");

    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    for (const text of ["Overview", "route-table", "dashboard", "Channels", "test:mallory", "Approve", "no runs in progress", "no operator actions yet", "/dash/htmx.min.js"]) {
      expect(page.body, text).toContain(text);
    }
    expect(page.body).toContain(`hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${olga.csrf}&quot;}"`);
  });

  it("escapes what senders control", async () => {
    await pendingCode('test:<b>bold&"quoted"');
    const page = await olga.get("/dash/fragments/pairings");

    expect(page.body).not.toContain("<b>bold");
    expect(page.body).toContain("test:&lt;b&gt;bold&amp;&quot;quoted&quot;");
  });

  it("tells open event streams about changes", async () => {
    const response = await fetch(`${world.instance.url}/dash/events`, { headers: { cookie: olga.cookieHeader } });
    const reader = response.body!.getReader();
    let text = "";
    await world.say("dm", "something happened", { sender: "test:someone", direct: true });
    await waitFor(async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes("event: changed");
    }, { what: "a changed event" });
    await reader.cancel();
  });
});
