import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

interface WebMessage {
  id: string;
  seq: number;
  text: string;
  from_agent: boolean;
  kind: string;
  reply_to: string | null;
  group: string | null;
}

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

function scripted(extra: Record<string, unknown> = {}) {
  return { runner: { command: fixtureAgent("scripted.mjs"), ...extra } };
}

/** The runs the fixture agent recorded in the main group's folder. */
function agentRuns(target: TestInstance): Array<{ run_id: string; texts: string[]; context: string[]; prompt: string }> {
  const file = join(target.kernel.groups.path("main"), "runs.jsonl");
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

function states(target: TestInstance, chat: string): Record<string, string> {
  const rows = target.kernel.store.db
    .prepare("SELECT text, state FROM messages WHERE chat = ? AND direction = 'in' ORDER BY seq")
    .all(`web:local/${chat}`) as Array<{ text: string; state: string }>;
  return Object.fromEntries(rows.map((row) => [row.text, row.state]));
}

describe("web message to agent reply", () => {
  it("answers through the demo harness", async () => {
    instance = await startInstance();
    const visitor = instance.client();
    const posted = await visitor.say("c1", "hello");
    expect(posted.status).toBe(202);

    const stream = await visitor.events("c1");
    await stream.until((s) => s.messages<WebMessage>().some((m) => m.from_agent), 15_000, "the agent's reply");
    const [question, answer] = stream.messages<WebMessage>();
    stream.close();

    expect(question).toMatchObject({ id: posted.body.id, text: "hello", from_agent: false, group: "main" });
    expect(answer!.text).toBe("[demo] I am the main assistant of this arizuko instance. You said: hello");
    expect(answer!.reply_to).toBe(posted.body.id);
    expect(stream.events.filter((e) => e.event === "message").map((e) => e.id)).toEqual([String(question!.seq), String(answer!.seq)]);
  });

  it("stores a repeated id once and runs once", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    const first = await visitor.say("c1", "only once", { id: "client-1" });
    const second = await visitor.say("c1", "only once", { id: "client-1" });

    expect(second.status).toBe(202);
    expect(second.body).toEqual({ id: "client-1", seq: first.body.seq, duplicate: true });
    await waitFor(() => states(instance!, "c1")["only once"] === "done", { what: "the run" });

    const inbound = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in'").get() as { n: number };
    expect(inbound.n).toBe(1);
    expect(agentRuns(instance)).toHaveLength(1);
  });

  it("gives two chats separate sessions", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "one");
    await visitor.say("c2", "two");
    await waitFor(() => states(instance!, "c1").one === "done" && states(instance!, "c2").two === "done", { what: "both runs" });

    const sessions = instance.kernel.store.db.prepare("SELECT group_folder, chat, session_id FROM sessions ORDER BY chat").all() as Array<{ group_folder: string; chat: string; session_id: string }>;
    expect(sessions.map((row) => [row.group_folder, row.chat])).toEqual([["main", "web:local/c1"], ["main", "web:local/c2"]]);
    expect(sessions[0]!.session_id).not.toBe(sessions[1]!.session_id);
  });

  it("resumes the session on the next run", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "first");
    await waitFor(() => states(instance!, "c1").first === "done");
    await visitor.say("c1", "second");
    await waitFor(() => states(instance!, "c1").second === "done");

    const [first, second] = agentRuns(instance);
    expect((first as { session_id: string | null }).session_id).toBeNull();
    expect((second as { session_id: string | null }).session_id).toBe(`scripted-${first!.run_id}`);
  });
});

describe("run queue", () => {
  it("batches messages that arrive during a run", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "slow 700");
    await waitFor(() => states(instance!, "c1")["slow 700"] === "running", { what: "the first run" });
    await visitor.say("c1", "a");
    await visitor.say("c1", "b");
    await waitFor(() => states(instance!, "c1").b === "done", { what: "the second run" });

    expect(agentRuns(instance).map((run) => run.texts)).toEqual([["slow 700"], ["a", "b"]]);
  });

  it("carries earlier replies as context", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "first");
    await waitFor(() => states(instance!, "c1").first === "done");
    await visitor.say("c1", "second");
    await waitFor(() => states(instance!, "c1").second === "done");

    const second = agentRuns(instance)[1]!;
    expect(second.context).toEqual(["echo: first (context: 0)"]);
    expect(second.prompt).toContain("<context>");
    expect(second.prompt).toContain('from="agent"');
  });

  it("splits a long reply to the channel limit", async () => {
    instance = await startInstance({ config: { ...scripted(), plugins: [{ use: "web", config: { maxTextLength: 256 } }, "route-table"] } });
    const visitor = instance.client();
    await visitor.say("c1", "long 1000");
    const stream = await visitor.events("c1");
    await stream.until((s) => s.messages<WebMessage>().filter((m) => m.from_agent).join("").length > 0 && s.messages<WebMessage>().filter((m) => m.from_agent).map((m) => m.text).join("").length === 1000, 15_000, "all chunks");
    const chunks = stream.messages<WebMessage>().filter((m) => m.from_agent).map((m) => m.text);
    stream.close();

    expect(chunks).toHaveLength(4);
    expect(chunks.every((chunk) => chunk.length <= 256)).toBe(true);
    expect(chunks.join("")).toBe("x".repeat(1000));
    const outbox = instance.kernel.store.db.prepare("SELECT chunk_index, chunk_count, state FROM outbox ORDER BY message_seq").all();
    expect(outbox).toEqual([0, 1, 2, 3].map((index) => ({ chunk_index: index, chunk_count: 4, state: "delivered" })));
  });
});

describe("failed runs", () => {
  // B14: a follow-up queued behind a run that times out is run next, exactly once.
  it("runs a follow-up after a timed-out run once", async () => {
    instance = await startInstance({ config: scripted({ timeoutMs: 1500, stopGraceMs: 300 }) });
    const visitor = instance.client();
    await visitor.say("c1", "hang");
    await waitFor(() => states(instance!, "c1").hang === "running");
    await visitor.say("c1", "also check pricing");

    await waitFor(() => states(instance!, "c1")["also check pricing"] === "done", { what: "the follow-up run" });
    const history = await visitor.get("/web/chats/c1/messages");
    const fromAgent = (history.body.messages as WebMessage[]).filter((m) => m.from_agent);

    expect(fromAgent.filter((m) => m.kind === "notice").map((m) => m.text)).toEqual([
      "Sorry, that took too long: the run was stopped after 2 s. Please try again, perhaps with a smaller request.",
    ]);
    expect(fromAgent.filter((m) => m.kind === "message").map((m) => m.text)).toEqual(["echo: also check pricing (context: 1)"]);
    expect(agentRuns(instance).map((run) => run.texts)).toEqual([["hang"], ["also check pricing"]]);
    expect(states(instance, "c1")).toEqual({ hang: "failed", "also check pricing": "done" });
    const runs = instance.kernel.store.db.prepare("SELECT state FROM runs ORDER BY started_at").all();
    expect(runs).toEqual([{ state: "timed_out" }, { state: "done" }]);
  });

  it("stops a run that goes silent for its idle timeout", async () => {
    instance = await startInstance({ config: scripted({ timeoutMs: 30_000, idleTimeoutMs: 800, stopGraceMs: 300 }) });
    const visitor = instance.client();
    const started = Date.now();
    await visitor.say("c1", "hang");
    await waitFor(() => states(instance!, "c1").hang === "failed", { what: "the hung run to be stopped" });
    expect(Date.now() - started).toBeLessThan(10_000);

    const run = instance.kernel.store.db.prepare("SELECT state, error FROM runs").get();
    expect(run).toEqual({ state: "timed_out", error: "stopped after 800 ms without output" });
    const history = await visitor.get("/web/chats/c1/messages");
    expect((history.body.messages as WebMessage[]).filter((m) => m.kind === "notice").map((m) => m.text)).toEqual([
      "Sorry, the agent stopped responding: the run was stopped after 1 s without any output. Please try again.",
    ]);
  });

  // B14, variant: the runner dies (exit 137) instead of timing out.
  it("retries a crashed batch alone, then runs the follow-up", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "slow 400");
    await visitor.say("c1", "crash");
    await waitFor(() => states(instance!, "c1").crash === "running");
    await visitor.say("c1", "follow-up");

    await waitFor(() => states(instance!, "c1")["follow-up"] === "done", { what: "the follow-up run" });
    const texts = agentRuns(instance).map((run) => run.texts);
    expect(texts).toEqual([["slow 400"], ["crash"], ["crash"], ["follow-up"]]);
    expect(states(instance, "c1")).toEqual({ "slow 400": "done", crash: "failed", "follow-up": "done" });

    const notices = instance.kernel.store.db.prepare("SELECT text FROM messages WHERE kind = 'notice'").all();
    expect(notices).toEqual([{ text: "Sorry, something went wrong and I could not answer that. Please try again." }]);
  });

  it("answers after one retry succeeds", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "crash-once");
    await waitFor(() => states(instance!, "c1")["crash-once"] === "done", { what: "the retry" });

    const runs = instance.kernel.store.db.prepare("SELECT attempt, state FROM runs ORDER BY started_at").all();
    expect(runs).toEqual([{ attempt: 1, state: "failed" }, { attempt: 2, state: "done" }]);
    const notices = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 'notice'").get() as { n: number };
    expect(notices.n).toBe(0);
  });

  it("does not retry a run that already replied", async () => {
    instance = await startInstance({ config: scripted({ timeoutMs: 1000, stopGraceMs: 200 }) });
    const visitor = instance.client();
    await visitor.say("c1", "slow 5000");
    await waitFor(() => states(instance!, "c1")["slow 5000"] === "failed", { what: "the deadline" });
    expect(agentRuns(instance)).toHaveLength(1);
  });

  it("kills a finished runner that does not exit", async () => {
    instance = await startInstance({ config: scripted({ stopGraceMs: 300 }) });
    const visitor = instance.client();
    await visitor.say("c1", "linger");

    await waitFor(() => states(instance!, "c1").linger === "done", { what: "the run to settle" });
    const run = instance.kernel.store.db.prepare("SELECT state, error FROM runs").get();
    expect(run).toEqual({ state: "done", error: null });
  });

  it.each([
    ["an error frame", "fail"],
    ["a line that is not JSON", "garbage"],
  ])("fails the batch after %s twice", async (_case, text) => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", text);
    await waitFor(() => states(instance!, "c1")[text] === "failed", { what: "the failure" });

    expect(agentRuns(instance)).toHaveLength(2);
    const notices = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 'notice'").get() as { n: number };
    expect(notices.n).toBe(1);
  });

  it("does not retry what cannot succeed", async () => {
    instance = await startInstance({ config: scripted() });
    const visitor = instance.client();
    await visitor.say("c1", "fail-final");
    await waitFor(() => states(instance!, "c1")["fail-final"] === "failed");

    expect(agentRuns(instance)).toHaveLength(1);
    const notices = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 'notice'").get() as { n: number };
    expect(notices.n).toBe(1);
  });
});

describe("agent runner check at start-up", () => {
  it("refuses another protocol major", async () => {
    const started = startInstance({ config: { runner: { command: fixtureAgent("protocol-v2.mjs") } } });
    await expect(started).rejects.toMatchObject({
      code: "ARZ_ERR_PROTOCOL_VERSION",
      message: "agent runner speaks run protocol 2.0, this host speaks 1.3; use an agent image built for protocol 1.x",
    });
  });

  it("refuses a harness the runner lacks", async () => {
    const started = startInstance({ config: { agent: { harness: "demoo" } } });
    await expect(started).rejects.toMatchObject({
      code: "ARZ_ERR_HARNESS_UNKNOWN",
      message: 'agent.harness is "demoo", but the agent runner offers "demo", "openai", "claude"; set agent.harness to one of them',
    });
    // A group's own harness is checked too, and the error names its setting.
    const grouped = startInstance({ config: { agent: { groups: { "acme/support": { harness: "claud" } } } } });
    await expect(grouped).rejects.toMatchObject({
      code: "ARZ_ERR_HARNESS_UNKNOWN",
      message: 'agent.groups.acme/support.harness is "claud", but the agent runner offers "demo", "openai", "claude"; set agent.groups.acme/support.harness to one of them',
    });
  });
});

describe("circuit breaker", () => {
  it("pauses a group after three failed runs and resumes it", async () => {
    instance = await startInstance({ config: { ...scripted(), breaker: { failures: 3, cooldownMs: 600_000 } } });
    const visitor = instance.client();
    await visitor.say("c1", "fail");
    await waitFor(() => states(instance!, "c1").fail === "failed");
    await visitor.say("c1", "fail again");
    await waitFor(() => instance!.kernel.store.groups.get("main")?.breaker === "open", { what: "the breaker to open" });
    await visitor.say("c1", "hello");
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(states(instance, "c1")).toEqual({ fail: "failed", "fail again": "pending", hello: "pending" });
    const notices = () => instance!.kernel.store.db.prepare("SELECT text FROM messages WHERE kind = 'notice' ORDER BY seq").all() as Array<{ text: string }>;
    expect(notices().filter((n) => n.text.includes("paused"))).toHaveLength(1);
    expect(notices().at(-1)!.text).toContain("`arizuko group resume main`");

    const resumed = await instance.kernel.runCli(["group", "resume", "main"]);
    expect(resumed).toMatchObject({ exitCode: 0, stdout: "group main resumed\n" });
    await waitFor(() => states(instance!, "c1").hello === "done", { what: "the resumed run" });
    expect(agentRuns(instance).at(-1)!.texts).toEqual(["fail again", "hello"]);
    expect(instance.kernel.store.groups.get("main")).toMatchObject({ breaker: "closed", failureStreak: 0 });
  });

  it("tries again on its own after the cooldown", async () => {
    instance = await startInstance({ config: { ...scripted(), breaker: { failures: 2, cooldownMs: 800 } } });
    const visitor = instance.client();
    await visitor.say("c1", "fail");
    await waitFor(() => instance!.kernel.store.groups.get("main")?.breaker === "open");
    await visitor.say("c1", "hello");

    await waitFor(() => states(instance!, "c1").hello === "done", { what: "the trial run after the cooldown" });
    expect(instance.kernel.store.groups.get("main")?.breaker).toBe("closed");
  });
});
