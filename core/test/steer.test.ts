/**
 * Steering: a message that arrives while its unit's run is going is sent into that run
 * when the harness takes `steer` frames (the openai harness), and the same run replies to
 * it; a harness that does not take it (the demo harness) leaves it to the next run,
 * and nothing is lost either way.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeOpenAI } from "./helpers/fake-openai.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import type { SseStream } from "./helpers/sse.js";
import { waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
let fake: FakeOpenAI | undefined;
let stream: SseStream | undefined;
afterEach(async () => {
  stream?.close();
  stream = undefined;
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

interface Row {
  text: string;
  state: string;
  run_id: string | null;
}

const rows = (target: TestInstance) =>
  target.kernel.store.db.prepare("SELECT text, state, run_id FROM messages WHERE chat = 'web:local/c1' AND direction = 'in' ORDER BY seq").all() as Row[];
const runs = (target: TestInstance) => target.kernel.store.db.prepare("SELECT id, state FROM runs ORDER BY started_at").all() as Array<{ id: string; state: string }>;

async function answers(visitor: ReturnType<TestInstance["client"]>, count: number): Promise<string[]> {
  stream ??= await visitor.events("c1");
  const replies = () => stream!.messages<{ from_agent: boolean; text: string }>().filter((message) => message.from_agent).map((message) => message.text);
  await stream.until(() => replies().length >= count, 20_000, `${count} answers`);
  return replies();
}

describe("steering", () => {
  it("answers a follow-up in the running run", async () => {
    fake = new FakeOpenAI((request) => {
      const users = request.body.messages.filter((message) => message.role === "user").map((message) => message.content ?? "");
      if (users.some((text) => text.includes("also check pricing"))) return { content: "Pricing checked too." };
      return { content: "Crawled the site.", delayMs: 1500 };
    });
    const baseUrl = await fake.start();
    instance = await startInstance({ config: { agent: { harness: "openai" }, model: { baseUrl, models: ["local-small"] } } });
    const visitor = instance.client();
    await visitor.say("c1", "please crawl the site");
    await waitFor(() => fake!.requests.length === 1, { what: "the first model call" });
    await visitor.say("c1", "also check pricing");

    expect(await answers(visitor, 2)).toEqual(["Crawled the site.", "Pricing checked too."]);
    await waitFor(() => runs(instance!).every((run) => run.state === "done"), { what: "the run to settle" });
    const [run] = runs(instance);
    expect(runs(instance)).toEqual([{ id: run!.id, state: "done" }]);
    expect(rows(instance)).toEqual([
      { text: "please crawl the site", state: "done", run_id: run!.id },
      { text: "also check pricing", state: "done", run_id: run!.id },
    ]);
    // The follow-up reached the model inside the first run's conversation.
    expect(fake.requests[1]!.body.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
  });

  it("hands a follow-up the harness did not take to the next run", async () => {
    instance = await startInstance({ config: { agent: { harness: "demo", options: { delayMs: 1000 } } } });
    const visitor = instance.client();
    await visitor.say("c1", "first");
    await waitFor(() => instance!.kernel.queue.activeRuns === 1, { what: "the first run" });
    await visitor.say("c1", "second");

    const replies = await answers(visitor, 2);
    expect(replies[0]).toMatch(/You said: first$/);
    expect(replies[1]).toMatch(/You said: second$/);
    await waitFor(() => runs(instance!).length === 2 && runs(instance!).every((run) => run.state === "done"));
    const [first, second] = runs(instance);
    expect(rows(instance)).toEqual([
      { text: "first", state: "done", run_id: first!.id },
      { text: "second", state: "done", run_id: second!.id },
    ]);
  });
});
