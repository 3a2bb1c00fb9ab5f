/**
 * Routing end to end through the web channel: a visitor's HTTP posts and SSE stream, a
 * real kernel with every routing layer, and the scripted agent in groups main,
 * main/ops and main/research. One conversation drives a sticky switch, a delegation
 * and the child's reply, a reply that returns to the child, a topic and /new. The test
 * then checks the runs that resulted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Client } from "../../../core/test/helpers/client.js";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import type { SseStream } from "../../../core/test/helpers/sse.js";
import type { WebMessage } from "../src/view.js";

interface RunRow {
  group_folder: string;
  chat: string;
  topic: string;
  state: string;
  session_id: string | null;
}

let instance: TestInstance | undefined;
let stream: SseStream | undefined;
afterEach(async () => {
  stream?.close();
  await instance?.dispose();
  instance = undefined;
});

/** Posts `text` and waits for the next message from the host after it (an agent reply or a notice). */
async function ask(visitor: Client, events: SseStream, text: string, extra: Record<string, unknown> = {}): Promise<WebMessage> {
  const posted = await visitor.say("e2e", text, extra);
  expect(posted.status).toBe(202);
  const answered = () => events.messages<WebMessage>().find((message) => message.from_agent && message.seq > posted.body.seq);
  await events.until(() => answered() !== undefined, 15_000, `the answer to "${text}"`);
  return answered()!;
}

function runs(target: TestInstance): RunRow[] {
  return target.kernel.store.db.prepare("SELECT group_folder, chat, topic, state, session_id FROM runs ORDER BY started_at, rowid").all() as RunRow[];
}

function agentRuns(target: TestInstance, folder: string): Array<{ texts: string[]; session_id: string | null }> {
  const file = join(target.kernel.groups.path(folder), "runs.jsonl");
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** Waits until no run is active, so the next message starts a run of its own. */
async function idle(target: TestInstance): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (target.kernel.queue.activeRuns > 0 || target.kernel.intake.activeChats > 0) {
    if (Date.now() > deadline) throw new Error("runs did not end");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("routing through the web channel", () => {
  it("switches, delegates, returns by reply, picks a topic and starts afresh", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") } } });
    for (const folder of ["main/ops", "main/research"]) instance.kernel.groups.add(folder);
    const visitor = instance.client();
    await visitor.say("e2e", "hello");
    stream = await visitor.events("e2e");
    await stream.until((events) => events.messages<WebMessage>().some((message) => message.from_agent), 15_000, "the first answer");
    await idle(instance);

    // A sticky switch: the notice, then the next message is main/ops's.
    expect((await ask(visitor, stream, "@main/ops")).text).toBe("routing → main/ops");
    const fromOps = await ask(visitor, stream, "status?");
    expect(fromOps).toMatchObject({ group: "main/ops", text: expect.stringMatching(/^echo: status\? \(context: \d+\)$/) });
    await idle(instance);

    // A delegation: main hands "find sources" to its child, whose reply comes to this chat.
    const fromResearch = await ask(visitor, stream, "@research find sources");
    expect(fromResearch).toMatchObject({ group: "main/research", chat: "e2e", text: expect.stringMatching(/^echo: find sources /) });
    await idle(instance);

    // A reply to the child's answer goes back to the child, over the main/ops pin.
    const returned = await ask(visitor, stream, "and the second one?", { reply_to: fromResearch.id });
    expect(returned).toMatchObject({ group: "main/research", text: expect.stringMatching(/^echo: and the second one\? /) });
    await idle(instance);

    // A topic: cleared pin, then "#deploy ship it" runs "ship it" in main's deploy session.
    expect((await ask(visitor, stream, "@")).text).toBe("routing → default");
    const fromDeploy = await ask(visitor, stream, "#deploy ship it");
    expect(fromDeploy).toMatchObject({ group: "main", topic: "", text: expect.stringMatching(/^echo: ship it /) });
    await idle(instance);

    // /new: the chat's main-thread session starts afresh.
    expect((await ask(visitor, stream, "/new")).text).toBe("New session for this chat.");
    expect((await ask(visitor, stream, "after new")).group).toBe("main");
    await idle(instance);

    const chat = "web:local/e2e";
    expect(runs(instance).map((run) => [run.group_folder, run.chat, run.topic, run.state])).toEqual([
      ["main", chat, "", "done"],
      ["main/ops", chat, "", "done"],
      ["main/research", chat, "", "done"],
      ["main/research", chat, "", "done"],
      ["main", chat, "deploy", "done"],
      ["main", chat, "", "done"],
    ]);
    const main = agentRuns(instance, "main");
    expect(main.map((run) => run.texts)).toEqual([["hello"], ["ship it"], ["after new"]]);
    expect(main.map((run) => run.session_id)).toEqual([null, null, null]);
    const research = agentRuns(instance, "main/research");
    expect(research.map((run) => run.texts)).toEqual([["find sources"], ["and the second one?"]]);
    expect(research[1]!.session_id).not.toBeNull();
  });
});

describe("pairing through the web channel", () => {
  it("gives a stranger a code and answers them once approved", async () => {
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") }, admission: { web: { policy: "pairing" } } } });
    const visitor = instance.client();
    await visitor.say("e2e", "hello?");
    stream = await visitor.events("e2e");
    await stream.until((events) => events.messages<WebMessage>().some((message) => message.kind === "notice"), 15_000, "the pairing notice");
    const notice = stream.messages<WebMessage>().find((message) => message.kind === "notice")!;
    const code = /[A-Z2-9]{4}-[A-Z2-9]{4}/.exec(notice.text)?.[0];
    expect(code).toBeDefined();

    const approved = await instance.kernel.runCli(["pair", "approve", code!]);
    expect(approved.stdout.trim()).toMatch(/^sender web:v_\S+ approved on web$/);
    const answer = await ask(visitor, stream, "and now?");
    expect(answer).toMatchObject({ group: "main", text: expect.stringMatching(/^echo: and now\? /) });
  });
});
