/**
 * The model proxy and the `openai` harness with the process runner: a fake completions
 * server plays the model, tool calls included. The key stays in the host; the persona
 * and memory reach the system prompt; a memory file written in one run is read in the
 * next; the proxy refuses wrong tokens, other models and other paths.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { API_KEY, FakeOpenAI, memoryModel, systemOf } from "./helpers/fake-openai.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { proxyCall } from "./helpers/proxy-call.js";
import type { SseStream } from "./helpers/sse.js";

let instance: TestInstance | undefined;
let fake: FakeOpenAI | undefined;
let stream: SseStream | undefined;
afterEach(async () => {
  stream?.close();
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

async function ask(visitor: ReturnType<TestInstance["client"]>, chat: string, text: string): Promise<string> {
  const posted = await visitor.say(chat, text);
  expect(posted.status).toBe(202);
  stream ??= await visitor.events(chat);
  const answer = () => stream!.messages<{ from_agent: boolean; seq: number; text: string }>().find((message) => message.from_agent && message.seq > posted.body.seq);
  await stream.until(() => answer() !== undefined, 20_000, `the answer to ${text}`);
  return answer()!.text;
}

describe("the openai harness through the model proxy", () => {
  it("answers with tools, keeps memory across runs and never shows the key", async () => {
    fake = new FakeOpenAI(memoryModel);
    const baseUrl = await fake.start();
    instance = await startInstance({ config: { agent: { harness: "openai" }, model: { baseUrl, apiKey: API_KEY, models: ["local-small"] } } });
    const visitor = instance.client();

    expect(await ask(visitor, "c1", "Hello, my name is Ada")).toBe("Nice to meet you, Ada.");
    expect(readFileSync(join(instance.kernel.groups.path("main"), "MEMORY.md"), "utf8")).toBe("The user's name is Ada.");
    expect(instance.kernel.store.messages.recent("web:local/other", 5).map((message) => message.text)).toEqual(["Ada says hello"]);

    instance.kernel.runs.resetSession("web:local/c1", "");
    expect(await ask(visitor, "c1", "What is my name?")).toBe("You are Ada.");

    // The model saw the persona, the tools and the key; the agent saw none of the key.
    expect(fake.requests.every((seen) => seen.authorization === `Bearer ${API_KEY}`)).toBe(true);
    expect(systemOf(fake.requests[0]!)).toContain("I am the main assistant of this arizuko instance.");
    const offered = fake.requests[0]!.body.tools!.map((tool) => tool.function.name);
    expect(offered).toEqual(expect.arrayContaining(["send", "reply", "read_file", "write_file", "list_files"]));
    expect(fake.requests.map((seen) => seen.body.model)).toEqual(["local-small", "local-small", "local-small", "local-small"]);
    // The second run's system prompt contains the memory the first one wrote.
    expect(systemOf(fake.requests[2]!)).toContain("The user's name is Ada.");
    expect(fake.requests[3]!.body.messages.filter((message) => message.role === "tool").map((message) => message.content)).toEqual([
      "The user's name is Ada.",
      expect.stringContaining('"group": "main"'),
    ]);
    expect(readFileSync(join(instance.dir, "arizuko.log"), "utf8")).not.toContain(API_KEY);
    const usage = instance.kernel.store.db.prepare("SELECT usage FROM runs ORDER BY started_at LIMIT 1").get() as { usage: string };
    expect(JSON.parse(usage.usage)).toMatchObject({ input_tokens: 22, output_tokens: 14, model: "local-small" });
  });

  it("keeps the key out of an upstream error, and does not retry it", async () => {
    fake = new FakeOpenAI(() => ({ status: 401, error: `Incorrect API key provided: ${API_KEY}` }));
    const baseUrl = await fake.start();
    instance = await startInstance({ config: { agent: { harness: "openai" }, model: { baseUrl, apiKey: API_KEY, models: ["local-small"] } } });
    const visitor = instance.client();
    await visitor.say("c1", "hello");
    const runs = () => instance!.kernel.store.db.prepare("SELECT state, error FROM runs").all() as Array<{ state: string; error: string }>;
    const { waitFor } = await import("./helpers/wait.js");
    await waitFor(() => runs().length === 1 && runs()[0]!.state === "failed", { what: "the failed run" });

    expect(runs()).toEqual([{ state: "failed", error: "ARZ_AGENT_HARNESS_FAILED: the model returned HTTP 401: Incorrect API key provided: [redacted]" }]);
    expect(fake.requests).toHaveLength(1);
    expect(readFileSync(join(instance.dir, "arizuko.log"), "utf8")).not.toContain(API_KEY);
    const everything = instance.kernel.store.db.prepare("SELECT group_concat(coalesce(text, '') || coalesce(error, ''), ' ') AS all_text FROM (SELECT text, NULL AS error FROM messages UNION ALL SELECT NULL, error FROM runs)").get() as { all_text: string };
    expect(everything.all_text).not.toContain(API_KEY);
  });

  it("refuses a wrong token, another model and another path", async () => {
    fake = new FakeOpenAI(() => ({ content: "ok" }));
    const baseUrl = await fake.start();
    instance = await startInstance({ config: { model: { baseUrl, apiKey: API_KEY, models: ["local-small"] } } });
    const endpoint = await instance.kernel.models.serve({ group: "main", chat: "web:local/c1", topic: "" }, "run_proxytest", instance.kernel.resolved.config.model);
    try {
      const body = { model: "local-small", messages: [{ role: "user", content: "hi" }] };
      expect(await proxyCall(endpoint.socket, { body })).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/missing or wrong run token/) } } });
      expect(await proxyCall(endpoint.socket, { token: "wrong", body })).toMatchObject({ status: 401 });
      expect(await proxyCall(endpoint.socket, { token: endpoint.token, body: { ...body, model: "gpt-huge" } })).toMatchObject({
        status: 403,
        body: { error: { message: 'arizuko model proxy: model "gpt-huge" is not allowed for group main; allowed: local-small' } },
      });
      expect(await proxyCall(endpoint.socket, { token: endpoint.token, path: "/v1/embeddings", body })).toMatchObject({ status: 404 });
      expect(await proxyCall(endpoint.socket, { token: endpoint.token, path: "/v1/models", method: "GET" })).toMatchObject({ status: 200, body: { data: [{ id: "local-small" }] } });
      expect(await proxyCall(endpoint.socket, { token: endpoint.token, body })).toMatchObject({ status: 200, body: { choices: [{ message: { content: "ok" } }] } });
      expect(fake.requests).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
  });
});
