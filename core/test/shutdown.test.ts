/**
 * The graceful stop: no new work is taken, runs in progress finish (or are stopped at
 * the deadline and run again after the next start), replies go out before the channels
 * close, and the process exits 0. A second signal exits at once and loses nothing stored.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
// @ts-expect-error: a plain ES module fixture without types
import { TestAdapter } from "../../plugins/http-channel/test/fixtures/adapter.mjs";
import { Client } from "./helpers/client.js";
import { queryData } from "./helpers/query.js";
import { fixtureAgent, startInstance, tempDir, type TestInstance } from "./helpers/instance.js";
import { startArizuko, type RunningArizuko } from "./helpers/process.js";
import { waitFor } from "./helpers/wait.js";

interface WebMessage {
  text: string;
  from_agent: boolean;
}

const SECRET = "shutdown-secret-0123456789";

let instance: TestInstance | undefined;
let gateway: RunningArizuko | undefined;
let adapter: { close(): Promise<void> } | undefined;
afterEach(async () => {
  await gateway?.kill("SIGKILL");
  await adapter?.close();
  await instance?.dispose();
  gateway = undefined;
  adapter = undefined;
  instance = undefined;
});

function logLines(dir: string): Array<{ msg: string; [key: string]: unknown }> {
  return readFileSync(join(dir, "arizuko.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line: string) => JSON.parse(line));
}

describe("a graceful stop", () => {
  it("finishes a run in flight", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") }, shutdown: { runDeadlineMs: 30_000 } } });
    const visitor = instance.client();
    await visitor.say("c1", "slow 1500");
    const stream = await visitor.events("c1");
    await waitFor(() => instance!.kernel.executor.running === 1, { what: "the run to start" });

    const stopped = instance.kernel.stop("SIGTERM");

    // New work gets 503 with Retry-After, so the sender retries later; reads go on.
    const late = await visitor.say("c1", "are you still there?");
    expect(late.status).toBe(503);
    expect(late.headers.get("retry-after")).toBe("10");
    expect(late.body).toEqual({ error: { code: "ARZ_ERR_STOPPING", message: "arizuko is stopping; send the request again in 10 s, once it is back" } });
    expect((await visitor.get("/ready")).status).toBe(503);
    expect((await visitor.get("/web/chats/c1/messages")).status).toBe(200);

    // The run's reply reaches the open chat before the web channel closes its stream.
    await stream.until((s) => s.messages<WebMessage>().some((m) => m.from_agent), 15_000, "the reply of the run in flight");
    stream.close();
    await stopped;

    const { dataDir, dir } = instance;
    expect(queryData(dataDir, "SELECT state FROM runs")).toEqual([{ state: "done" }]);
    expect(queryData(dataDir, "SELECT text, state FROM messages WHERE direction = 'in'")).toEqual([{ text: "slow 1500", state: "done" }]);
    expect(queryData(dataDir, "SELECT state FROM outbox")).toEqual([{ state: "delivered" }]);
    const messages = logLines(dir).map((line) => line.msg);
    expect(messages.indexOf("outbox flushed")).toBeGreaterThan(messages.findIndex((msg) => msg === "run done"));
  });

  it("stops a run past the deadline", async () => {
    const config = { runner: { command: fixtureAgent("scripted.mjs"), stopGraceMs: 500 }, shutdown: { runDeadlineMs: 300 } };
    instance = await startInstance({ config });
    const visitor = instance.client();
    await visitor.say("c1", "slow 2000");
    await waitFor(() => instance!.kernel.executor.running === 1, { what: "the run to start" });
    await instance.kernel.stop("SIGTERM");

    const { dataDir, dir } = instance;
    expect(queryData(dataDir, "SELECT state FROM runs")).toEqual([{ state: "abandoned" }]);
    expect(queryData(dataDir, "SELECT state FROM messages WHERE direction = 'in'")).toEqual([{ state: "pending" }]);
    expect(logLines(dir).some((line) => line.msg === "runs still going at the shutdown deadline were asked to stop" && line.runs === 1)).toBe(true);

    instance = await startInstance({ config, dir });
    const again = new Client(instance.url);
    for (const [name, value] of visitor.cookieHeader.split("; ").map((pair) => pair.split("="))) again.setCookie(name!, value!);
    await waitFor(async () => ((await again.get("/web/chats/c1/messages")).body.messages as WebMessage[]).some((m) => m.from_agent), {
      timeoutMs: 20_000,
      what: "the answer after the restart",
    });
    const history = (await again.get("/web/chats/c1/messages")).body.messages as WebMessage[];
    expect(history.map((m) => m.text)).toEqual(["slow 2000", "slow reply to slow 2000"]);
  });

  it("sends a rate-limited reply before closing", async () => {
    instance = await startInstance({ config: { plugins: [{ use: "http-channel", config: { secret: SECRET, healthIntervalMs: 200 } }] } });
    const created = new TestAdapter({ gateway: instance.url, secret: SECRET });
    adapter = created;
    await created.listen();
    await created.register();
    created.failures.push({ status: 429, body: { ok: false, error: "slow down", retry_after: 1 } });

    instance.kernel.outbound.notice({ chat: "telegram:telegram/group/1", topic: "", text: "the last word", group: null, replyTo: null });
    await waitFor(() => created.sent.length === 1, { what: "the first, rate-limited send" });
    await instance.kernel.stop("SIGTERM");

    expect(created.sent.map((record: { status: number; body: { content: string } }) => [record.status, record.body.content])).toEqual([
      [429, "the last word"],
      [200, "the last word"],
    ]);
    expect(queryData(instance.dataDir, "SELECT state FROM outbox")).toEqual([{ state: "delivered" }]);
  });

  it("keeps a reply past the outbox deadline", async () => {
    const config = { plugins: [{ use: "http-channel", config: { secret: SECRET, healthIntervalMs: 200 } }], shutdown: { outboxDeadlineMs: 200 } };
    instance = await startInstance({ config });
    const created = new TestAdapter({ gateway: instance.url, secret: SECRET });
    adapter = created;
    await created.listen();
    await created.register();
    created.failures.push({ status: 429, body: { ok: false, error: "slow down", retry_after: 2 } });

    instance.kernel.outbound.notice({ chat: "telegram:telegram/group/1", topic: "", text: "after the restart", group: null, replyTo: null });
    await waitFor(() => created.sent.length === 1, { what: "the first, rate-limited send" });
    await instance.kernel.stop("SIGTERM");

    const { dataDir, dir } = instance;
    expect(queryData(dataDir, "SELECT state FROM outbox")).toEqual([{ state: "queued" }]);
    const left = logLines(dir).find((line) => line.msg === "replies left in the outbox at shutdown; they are sent after the next start");
    expect(left?.chats).toEqual(["telegram:telegram/group/1"]);

    instance = await startInstance({ config, dir });
    await waitFor(() => created.sent.length === 2, { timeoutMs: 15_000, what: "the reply after the restart" });
    expect(created.sent[1]).toMatchObject({ status: 200, body: { content: "after the restart" } });
  });
});

describe("signals", () => {
  function workspace(config: Record<string, unknown>): string {
    const dir = tempDir();
    writeFileSync(join(dir, "arizuko.yaml"), stringify(config));
    return dir;
  }

  it("exits 0 on SIGTERM", async () => {
    const dir = workspace({ runner: { command: fixtureAgent("scripted.mjs") } });
    gateway = await startArizuko(["--port", "0"], { cwd: dir });
    const visitor = new Client(gateway.url);
    await visitor.say("c1", "slow 1500");
    const stream = await visitor.events("c1");
    await stream.until((s) => s.events.some((e) => e.event === "typing"), 15_000, "the run to start");
    stream.close();

    expect(await gateway.kill("SIGTERM")).toBe(0);
    expect(gateway.output()).toContain("runs in progress get up to 30 s to finish");
    expect(queryData(join(dir, "data"), "SELECT text FROM messages WHERE direction = 'out'")).toEqual([{ text: "slow reply to slow 1500" }]);
    expect(queryData(join(dir, "data"), "SELECT state FROM outbox")).toEqual([{ state: "delivered" }]);
  });

  it("exits at once on a second SIGTERM", async () => {
    const dir = workspace({ runner: { command: fixtureAgent("scripted.mjs") } });
    gateway = await startArizuko(["--port", "0"], { cwd: dir });
    const visitor = new Client(gateway.url);
    await visitor.say("c1", "slow 4000");
    const stream = await visitor.events("c1");
    await stream.until((s) => s.events.some((e) => e.event === "typing"), 15_000, "the run to start");
    stream.close();

    gateway.child.kill("SIGTERM");
    await waitFor(() => gateway!.output().includes("signal received; stopping"), { what: "the first signal to be taken" });
    expect(await gateway.kill("SIGTERM")).toBe(143);
    expect(gateway.output()).toContain("second signal; exiting at once");

    // It did not wait for the run: no reply is stored yet, and the message is kept.
    expect(queryData(join(dir, "data"), "SELECT text FROM messages WHERE direction = 'out'")).toEqual([]);
    expect(queryData(join(dir, "data"), "SELECT text FROM messages WHERE direction = 'in'")).toEqual([{ text: "slow 4000" }]);

    gateway = await startArizuko(["--port", "0"], { cwd: dir });
    const again = new Client(gateway.url);
    for (const [name, value] of visitor.cookieHeader.split("; ").map((pair) => pair.split("="))) again.setCookie(name!, value!);
    await waitFor(async () => ((await again.get("/web/chats/c1/messages")).body.messages as WebMessage[]).some((m) => m.from_agent), {
      timeoutMs: 20_000,
      what: "the answer after the restart",
    });
    const history = (await again.get("/web/chats/c1/messages")).body.messages as WebMessage[];
    expect(history.map((m) => m.text)).toEqual(["slow 4000", "slow reply to slow 4000"]);
  });
});
