/**
 * The Activity page over HTTP: the message list with its routing decisions and filters,
 * and one message's trace (stored, routed, run, tool calls with verdicts, delivery
 * attempts), checked against the database. A real kernel, a telegram-shaped test
 * channel that fails its first send, and a fixture agent that calls MCP tools.
 */
import { Transient } from "@arizuko/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { testChannel } from "../../../core/test/helpers/test-channel.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person, type Person } from "../../web/test/helpers/people.js";

const ACCOUNT = "600000001";

let instance: TestInstance;
let telegram: ReturnType<typeof testChannel>;
let olga: Person;

beforeEach(async () => {
  telegram = testChannel({ platform: "telegram", account: ACCOUNT, capabilities: { maxTextLength: 100_000 } });
  instance = await startInstance({
    plugins: [{ definition: telegram.plugin }],
    config: { runner: { command: fixtureAgent("mcp-client.mjs") }, admission: { telegram: { policy: "open" } }, plugins: ["web", "route-table", "dashboard"] },
  });
  await instance.kernel.runCli(["route", "add", "platform=telegram", "main"]);
  await instance.kernel.runCli(["grants", "set", "main", `!send(chat=${telegram.jid("secret")})`]);
  olga = await person(instance, "olga", { operator: true });
});

afterEach(() => instance.dispose());

interface Row {
  seq: number;
  run_id: string | null;
}

/** Sends a script of tool calls from `chat` and waits for the agent's reply; returns the inbound row. */
async function script(chat: string, steps: unknown[]): Promise<Row> {
  const before = telegram.sent.length;
  await telegram.say(chat, JSON.stringify({ steps }), { sender: "telegram:alice" });
  await waitFor(() => telegram.sent.slice(before).find((chunk) => chunk.chat === telegram.jid(chat) && chunk.text.startsWith("[")), { timeoutMs: 20_000, what: "the script's answer" });
  return instance.kernel.store.db.prepare("SELECT seq, run_id FROM messages WHERE chat = ? AND direction = 'in' ORDER BY seq DESC LIMIT 1").get(telegram.jid(chat)) as Row;
}

describe("activity list", () => {
  it("lists messages in and out with where routing sent them", async () => {
    const inbound = await script("c1", [{ call: "send", args: { chat: telegram.jid("open"), text: "hello there" } }]);
    const page = await olga.get("/dash/activity");

    expect(page.status).toBe(200);
    expect(page.body).toContain(`<a class="seq" href="/dash/activity/${inbound.seq}">${inbound.seq}</a>`);
    expect(page.body).toMatch(new RegExp(`/dash/activity/${inbound.seq}[\\s\\S]*?<a href="/dash/groups/main">main</a> <span class="muted">by route-table: route #\\d+ \\(platform=telegram\\) → main`));
    const reply = instance.kernel.store.db.prepare("SELECT seq FROM messages WHERE chat = ? AND direction = 'out'").get(telegram.jid("open")) as { seq: number };
    expect(page.body).toMatch(new RegExp(`/dash/activity/${reply.seq}">[\\s\\S]*?<td>hello there</td><td><span class="state state-delivered">delivered</span></td>`));
    expect(page.body).toContain('hx-get="/dash/activity/list"');
  });

  it("filters by platform, chat and group", async () => {
    await script("c1", [{ list: true }]);
    await script("c2", [{ list: true }]);
    const count = (body: string) => [...body.matchAll(/<a class="seq" href="\/dash\/activity\/\d+">/g)].length;
    const stored = (where: string, ...params: string[]) => (instance.kernel.store.db.prepare(`SELECT count(*) AS n FROM messages WHERE ${where}`).get(...params) as { n: number }).n;

    const c1 = await olga.get(`/dash/activity?chat=${encodeURIComponent(telegram.jid("c1"))}`);
    expect(count(c1.body)).toBe(stored("chat = ?", telegram.jid("c1")));
    expect(c1.body).not.toContain(telegram.jid("c2") + "</a>");
    expect(count((await olga.get("/dash/activity?platform=telegram")).body)).toBe(stored("chat LIKE 'telegram:%'"));
    expect((await olga.get("/dash/activity?platform=web")).body).toContain("no messages match these filters");
    expect(count((await olga.get("/dash/activity?group=main")).body)).toBe(stored("group_folder = 'main'"));
    const nowhere = await olga.get("/dash/activity?group=nowhere");
    expect(nowhere.body).toContain("no messages match these filters");
    expect(nowhere.body).toContain("There is no group nowhere;");
    expect((await olga.get("/dash/activity/list?platform=telegram")).body).toContain('hx-get="/dash/activity/list?platform=telegram"');
  });

  it("pages back through older messages", async () => {
    for (const chat of ["p1", "p2", "p3"]) await script(chat, [{ list: true }]);
    const seqs = (instance.kernel.store.db.prepare("SELECT seq FROM messages ORDER BY seq DESC").all() as Array<{ seq: number }>).map((row) => row.seq);

    const older = await olga.get(`/dash/activity?before=${seqs[1]}`);
    expect(older.body).toContain(`Messages before ${seqs[1]}`);
    expect(older.body).not.toContain(`/dash/activity/${seqs[0]}"`);
    expect(older.body).not.toContain(`/dash/activity/${seqs[1]}"`);
    expect(older.body).toContain(`/dash/activity/${seqs[2]}"`);
    // An older page is history: it does not reload itself.
    expect(older.body).not.toContain('hx-trigger="arizuko:changed from:body"');
  });

  it("says what a bad filter looks like", async () => {
    const response = await olga.get("/dash/activity?before=-1");
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain("before");
  });
});

describe("message trace", () => {
  it("shows the routing, the run, each tool call's verdict and each delivery attempt", async () => {
    // The first send to the platform fails for a moment; the outbox retries it.
    telegram.failures.push(new Transient("network down"));
    const inbound = await script("c1", [
      { call: "send", args: { chat: telegram.jid("secret"), text: "psst" } },
      { call: "send", args: { chat: telegram.jid("open"), text: "hello there" } },
    ]);
    const db = instance.kernel.store.db;
    await waitFor(() => (db.prepare("SELECT count(*) AS n FROM outbox WHERE state != 'delivered'").get() as { n: number }).n === 0, { what: "every delivery" });

    const page = await olga.get(`/dash/activity/${inbound.seq}`);
    expect(page.status).toBe(200);
    const body = page.body;

    const message = db.prepare("SELECT * FROM messages WHERE seq = ?").get(inbound.seq) as Record<string, string>;
    expect(body).toContain(`<code>${message.id}</code>`);
    expect(body).toContain(`<dt>Layer</dt><dd>route-table</dd>`);
    expect(body).toContain(`<dt>Reason</dt><dd>${message.route_reason!.replaceAll(">", "&gt;")}</dd>`);

    const run = db.prepare("SELECT * FROM runs WHERE id = ?").get(inbound.run_id) as Record<string, string>;
    expect(body).toContain(`<code>${run.id}</code>`);
    expect(body).toContain(`<span class="state state-done">done</span>`);
    expect(body).toContain(`${run.runner}, demo`);

    const calls = db.prepare("SELECT tool, verdict, error FROM tool_calls WHERE run_id = ? ORDER BY created_at, rowid").all(run.id) as Array<Record<string, string>>;
    expect(calls.map((call) => [call.tool, call.verdict])).toEqual([["send", "denied"], ["send", "ok"]]);
    const callRows = body.slice(body.indexOf('id="tool-calls"'), body.indexOf("<h2>Delivery</h2>"));
    expect(callRows).toContain('<span class="state state-denied">denied</span>');
    expect(callRows).toContain(`denied by grant rule !send(chat=${telegram.jid("secret")})`);
    expect(callRows).toContain('<span class="state state-ok">ok</span>');

    const replies = db.prepare("SELECT seq, chat FROM messages WHERE run_id = ? AND direction = 'out' ORDER BY seq").all(run.id) as Array<{ seq: number; chat: string }>;
    expect(replies.map((reply) => reply.chat)).toEqual([telegram.jid("open"), telegram.jid("c1")]);
    for (const reply of replies) expect(body).toContain(`<a href="/dash/activity/${reply.seq}">Message ${reply.seq}</a> to ${reply.chat}`);

    const deliveries = db.prepare("SELECT message_seq, state, attempts, error, platform_message_id FROM outbox ORDER BY message_seq").all() as Array<Record<string, string | number>>;
    const retried = deliveries.find((row) => row.error !== null)!;
    expect(retried).toMatchObject({ state: "delivered", attempts: 1, error: "network down" });
    const section = body.slice(body.indexOf(`Message ${retried.message_seq}</a>`));
    expect(section).toMatch(new RegExp(`<td>1 of 1</td><td><span class="state state-delivered">delivered</span></td><td>1</td><td>${retried.platform_message_id}</td><td>network down</td>`));
  });

  it("traces an outbound message to the run that wrote it", async () => {
    const inbound = await script("c1", [{ call: "send", args: { chat: telegram.jid("open"), text: "hello there" } }]);
    const reply = instance.kernel.store.db.prepare("SELECT seq FROM messages WHERE chat = ? AND direction = 'out'").get(telegram.jid("open")) as { seq: number };

    const page = await olga.get(`/dash/activity/${reply.seq}`);
    expect(page.body).toContain("(outbound: not routed)");
    expect(page.body).toContain(`<code>${inbound.run_id}</code>`);
    expect(page.body).toContain('<span class="state state-delivered">delivered</span>');
  });

  it("shows a message no run has taken yet", async () => {
    const route = instance.kernel.store.db.prepare("SELECT id FROM route_table_routes WHERE match = 'platform=telegram'").get() as { id: number };
    await instance.kernel.runCli(["route", "rm", String(route.id)]);
    await telegram.say("lost", "anyone?", { sender: "telegram:alice" });
    const row = await waitFor(() => instance.kernel.store.db.prepare("SELECT seq FROM messages WHERE chat = ? AND route_layer IS NOT NULL").get(telegram.jid("lost")) as { seq: number } | undefined, { what: "the routed message" });

    const trace = await olga.get(`/dash/activity/${row.seq}/trace`);
    expect(trace.status).toBe(200);
    expect(trace.body).toContain("no run has taken this message (yet)");
    expect(trace.body).toContain("no run, so no tool calls");
  });

  it("answers 404 for a seq that does not exist", async () => {
    const response = await olga.get("/dash/activity/12/trace");
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain("no message with seq 12");
    const page = await olga.get("/dash/activity/12");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.body).toContain('<p class="error" role="alert">no message with seq 12;');
  });
});
