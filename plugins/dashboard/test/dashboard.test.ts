/**
 * The dashboard over HTTP: every URL needs an operator, writes pass the CSRF check and
 * land in the audit log, and the Status page shows the instance's state. A real kernel
 * with the default plugins and a loopback test channel under the pairing policy.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Client } from "../../../core/test/helpers/client.js";
import { RoutingWorld } from "../../../core/test/helpers/routing-world.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person, type Person } from "../../web/test/helpers/people.js";

const CODE = /[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

let world: RoutingWorld;
let olga: Person;

beforeEach(async () => {
  world = await RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } }, plugins: ["web", "route-table", "dashboard"] } });
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

/** Lists every dashboard URL: pages, fragments, the event stream and the writes. */
function urls(code: string) {
  return [
    { method: "GET", path: "/dash", kind: "page" },
    ...["overview", "plugins", "channels", "pairings", "runs", "panels", "audit"].map((id) => ({ method: "GET", path: `/dash/fragments/${id}`, kind: "fragment" })),
    { method: "GET", path: "/dash/events", kind: "fragment" },
    { method: "POST", path: `/dash/pairings/${code}/approve`, kind: "write" },
    { method: "POST", path: `/dash/pairings/${code}/reject`, kind: "write" },
  ];
}

async function call(client: Client, url: { method: string; path: string }, headers: Record<string, string> = {}) {
  const response = await fetch(client.base + url.path, { method: url.method, redirect: "manual", headers: { cookie: client.cookieHeader, ...headers } });
  const status = response.status;
  const location = response.headers.get("location");
  await response.body?.cancel();
  return { status, location };
}

describe("dashboard access", () => {
  it("sends a signed-out browser to sign-in from every URL", async () => {
    const code = await pendingCode();

    for (const url of urls(code)) {
      const result = await call(new Client(world.instance.url), url);
      if (url.kind === "page") expect(result, url.path).toEqual({ status: 303, location: "/dash/sign-in?next=%2Fdash" });
      else expect(result.status, url.path).toBe(401);
    }
    expect(world.kernel.instance.pairings.pending()).toHaveLength(1);
  });

  it("refuses a signed-in user who is not an operator on every URL", async () => {
    const code = await pendingCode();
    const ada = await person(world.instance, "ada");

    for (const url of urls(code)) {
      const result = await call(ada, url, { origin: ada.base, "x-csrf-token": ada.csrf });
      expect(result.status, url.path).toBe(403);
    }
    expect(world.kernel.instance.pairings.pending()).toHaveLength(1);
    expect(world.kernel.instance.audit.list(10)).toEqual([]);
  });

  it("serves every URL to an operator", async () => {
    await pendingCode();

    for (const url of urls("AAAA-BBBB").filter((entry) => entry.method === "GET")) {
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
