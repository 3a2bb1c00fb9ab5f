/**
 * The `claude` harness with the process runner: the real Claude agent SDK and Claude
 * Code process, whose model transport is a fake Anthropic Messages API on 127.0.0.1
 * reached through the host's model proxy. The run's MCP tools reach the host over the
 * tool socket; Claude Code's file tools stay in the group folder; the session is
 * resumed across runs, and the same run replies to a follow-up sent during it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { API_KEY } from "./helpers/fake-openai.js";
import { FakeAnthropic, resultOf, systemText, toolResults, userTexts, type AnthropicReply, type AnthropicRequest } from "./helpers/fake-anthropic.js";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { proxyCall } from "./helpers/proxy-call.js";
import type { SseStream } from "./helpers/sse.js";
import { waitFor } from "./helpers/wait.js";

const MODEL = "claude-sonnet-4-5";
let instance: TestInstance | undefined;
let fake: FakeAnthropic | undefined;
let stream: SseStream | undefined;

afterEach(async () => {
  stream?.close();
  stream = undefined;
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

/** Returns a config with the demo harness by default, and Claude for `main` through the Anthropic endpoint at `baseUrl`. */
function claudeConfig(baseUrl: string, options: Record<string, unknown> = {}) {
  return {
    agent: { harness: "demo", groups: { main: { harness: "claude", options, model: { api: "anthropic", baseUrl, apiKey: API_KEY, models: [MODEL] } } } },
  };
}

async function ask(visitor: ReturnType<TestInstance["client"]>, chat: string, text: string): Promise<string> {
  const posted = await visitor.say(chat, text);
  expect(posted.status).toBe(202);
  stream ??= await visitor.events(chat);
  const answer = () => stream!.messages<{ from_agent: boolean; seq: number; text: string }>().find((message) => message.from_agent && message.seq > posted.body.seq);
  await stream.until(() => answer() !== undefined, 60_000, `the answer to ${text}`);
  return answer()!.text;
}

/** Returns the tools the model called in the request's last assistant turn. */
function lastUses(request: AnthropicRequest): string[] {
  const turn = request.body.messages.findLast((message) => message.role === "assistant");
  if (!turn || typeof turn.content === "string") return [];
  return turn.content.filter((block) => block.type === "tool_use").map((block) => block.name ?? "");
}

/**
 * Plays a model that keeps the user's name in memory (Claude Code requires a file to be
 * read before it is written), sends a message to another chat, and later tries to leave its folder.
 */
function memoryModel(group: string) {
  return (request: AnthropicRequest): AnthropicReply => {
    const asking = userTexts(request).some((text) => text.includes("What is my name?"));
    const used = toolResults(request).length > 0 ? lastUses(request) : [];
    if (used.includes("Read") && !asking) return { toolUses: [{ name: "Write", input: { file_path: join(group, "MEMORY.md"), content: "The user's name is Ada." } }] };
    if (used.length > 0) return { text: asking ? "You are Ada." : "Nice to meet you, Ada." };
    if (asking) {
      return {
        toolUses: [
          { name: "Read", input: { file_path: join(group, "..", "..", "arizuko.yaml") } },
          { name: "Read", input: { file_path: join(group, ".arizuko", "state") } },
          { name: "Bash", input: { command: "cat /etc/hostname" } },
        ],
      };
    }
    return {
      toolUses: [
        { name: "Read", input: { file_path: join(group, "MEMORY.md") } },
        { name: "mcp__arizuko__send", input: { chat: "web:local/other", text: "Ada says hello" } },
      ],
    };
  };
}

describe("the claude harness", () => {
  it("answers with tools, keeps to its folder and resumes its session", async () => {
    fake = new FakeAnthropic((request) => memoryModel(instance!.kernel.groups.path("main"))(request));
    instance = await startInstance({ config: claudeConfig(await fake.start()) });
    const visitor = instance.client();
    const group = instance.kernel.groups.path("main");

    expect(await ask(visitor, "c1", "Hello, my name is Ada")).toBe("Nice to meet you, Ada.");
    expect(readFileSync(join(group, "MEMORY.md"), "utf8")).toBe("The user's name is Ada.");
    expect(instance.kernel.store.messages.recent("web:local/other", 5).map((message) => message.text)).toEqual(["Ada says hello"]);

    expect(await ask(visitor, "c1", "What is my name?")).toBe("You are Ada.");
    const question = fake.requests.findIndex((request) => userTexts(request).some((text) => text.includes("What is my name?")));
    // Resumed: the second run's first request carries the first run's conversation, and the memory it wrote.
    expect(userTexts(fake.requests[question]!).join("\n")).toContain("Hello, my name is Ada");
    expect(systemText(fake.requests[question]!)).toContain("The user's name is Ada.");
    const rejections = toolResults(fake.requests[question + 1]!).map(resultOf);
    expect(rejections).toHaveLength(3);
    expect(rejections).toEqual(
      expect.arrayContaining([
        expect.stringContaining('path "../../arizuko.yaml" goes through ".."'),
        expect.stringContaining('path ".arizuko/state" goes through ".arizuko"'),
        expect.stringContaining("No such tool available: Bash"),
      ]),
    );

    // The model saw the persona, the run's MCP tools and the operator's key; the agent only a run token.
    expect(systemText(fake.requests[0]!)).toContain("I am the main assistant of this arizuko instance.");
    const offered = fake.requests[0]!.body.tools!.map((tool) => tool.name);
    expect(offered).toEqual(expect.arrayContaining(["Read", "Write", "mcp__arizuko__send", "mcp__arizuko__reply"]));
    expect(offered).not.toContain("Bash");
    expect(fake.requests.every((request) => request.apiKey === API_KEY && request.body.model === MODEL)).toBe(true);
    expect(readFileSync(join(instance.dir, "arizuko.log"), "utf8")).not.toContain(API_KEY);

    // One session across both runs, its transcript in the group folder; usage stored on each run.
    const runs = instance.kernel.store.db.prepare("SELECT session_id, usage FROM runs ORDER BY started_at").all() as Array<{ session_id: string; usage: string }>;
    expect(runs).toHaveLength(2);
    const sessionId = runs[0]!.session_id;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(runs[1]!.session_id).toBe(sessionId);
    // Three model calls of 20 tokens in and 8 out (read, write, final reply).
    expect(JSON.parse(runs[0]!.usage)).toMatchObject({ type: "usage", input_tokens: 60, output_tokens: 24, model: MODEL });
    const projects = join(group, "sessions", "claude", "projects");
    const transcripts = readdirSync(projects, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(`${sessionId}.jsonl`));
    expect(transcripts).toHaveLength(1);
  }, 120_000);

  it("answers a follow-up sent during the run in the same run", async () => {
    fake = new FakeAnthropic((request) => {
      if (userTexts(request).some((text) => text.includes("also check pricing"))) return { text: "Pricing checked too." };
      return { text: "Crawled the site.", delayMs: 1500 };
    });
    instance = await startInstance({ config: claudeConfig(await fake.start()) });
    const visitor = instance.client();
    await visitor.say("c1", "please crawl the site");
    stream = await visitor.events("c1");
    await waitFor(() => fake!.requests.length === 1, { timeoutMs: 30_000, what: "the first model call" });
    await visitor.say("c1", "also check pricing");

    const replies = () => stream!.messages<{ from_agent: boolean; text: string }>().filter((message) => message.from_agent).map((message) => message.text);
    await stream.until(() => replies().length >= 2, 60_000, "both answers");
    expect(replies()).toEqual(["Crawled the site.", "Pricing checked too."]);
    const runs = () => instance!.kernel.store.db.prepare("SELECT state FROM runs").all() as Array<{ state: string }>;
    await waitFor(() => runs().every((run) => run.state === "done"), { what: "the run to settle" });
    expect(runs()).toEqual([{ state: "done" }]);
  }, 120_000);

  it("fails a run clearly when its model refuses it", async () => {
    fake = new FakeAnthropic(() => ({ status: 400, error: "prompt is too long" }));
    instance = await startInstance({ config: claudeConfig(await fake.start()) });
    await instance.client().say("c1", "hello");
    const runs = () => instance!.kernel.store.db.prepare("SELECT state, error FROM runs").all() as Array<{ state: string; error: string }>;
    await waitFor(() => runs().length > 0 && runs().every((run) => run.state === "failed"), { timeoutMs: 30_000, what: "the failed run" });
    // A 400 fails the same way again: one run, no retry, and the reason in its error.
    expect(runs()).toEqual([{ state: "failed", error: expect.stringMatching(/^ARZ_AGENT_HARNESS_FAILED: Claude Code.s turn failed \(HTTP 400\).*prompt is too long/i) }]);
  }, 60_000);
});

describe("the model proxy for an Anthropic endpoint", () => {
  it("takes the token as x-api-key, sends the key upstream and refuses the rest", async () => {
    fake = new FakeAnthropic(() => ({ text: "ok" }));
    const config = claudeConfig(await fake.start());
    instance = await startInstance({ config });
    const model = config.agent.groups.main.model;
    const endpoint = await instance.kernel.models.serve({ group: "main", chat: "web:local/c1", topic: "" }, "run_anthropic", { ...instance.kernel.resolved.config.model, ...model, api: "anthropic" });
    try {
      const body = { model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
      const call = (token: string | null, extra: { path?: string; body?: unknown; method?: string } = {}) =>
        proxyCall(endpoint.socket, { path: "/v1/messages", body, ...extra, headers: { "anthropic-version": "2023-06-01", ...(token !== null && { "x-api-key": token }) } });

      expect(await call(null)).toMatchObject({ status: 401, body: { type: "error", error: { type: "authentication_error", message: expect.stringMatching(/x-api-key/) } } });
      expect(await call("wrong")).toMatchObject({ status: 401 });
      expect(await call(endpoint.token, { body: { ...body, model: "claude-opus-4" } })).toMatchObject({
        status: 403,
        body: { error: { type: "permission_error", message: `arizuko model proxy: model "claude-opus-4" is not allowed for group main; allowed: ${MODEL}` } },
      });
      expect(await call(endpoint.token, { path: "/v1/chat/completions" })).toMatchObject({ status: 404, body: { error: { message: expect.stringContaining("POST /v1/messages, POST /v1/messages/count_tokens") } } });
      expect(await call(endpoint.token, { path: "/v1/models", method: "GET", body: undefined })).toMatchObject({ status: 404 });
      expect(await call(endpoint.token, { path: "/v1/messages/count_tokens" })).toMatchObject({ status: 200, body: { input_tokens: 100 } });
      expect(await call(endpoint.token, { path: "/v1/messages?beta=true" })).toMatchObject({ status: 200, body: { content: [{ type: "text", text: "ok" }] } });
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]).toMatchObject({ apiKey: API_KEY, version: "2023-06-01" });
    } finally {
      await endpoint.close();
    }
  });
});
