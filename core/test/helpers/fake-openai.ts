/**
 * A fake OpenAI-compatible chat completions server on 127.0.0.1: it records every
 * request and responds with what the test's script returns for it, so a test can play
 * the model, tool calls included.
 */
import { createServer, type Server } from "node:http";

export interface FakeRequest {
  authorization: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }>; tools?: Array<{ function: { name: string } }> };
}

export type FakeReply =
  | { content: string; delayMs?: number }
  | { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }> }
  | { status: number; error: string };

export class FakeOpenAI {
  readonly requests: FakeRequest[] = [];
  private server: Server | null = null;
  private calls = 0;
  url = "";

  constructor(private readonly script: (request: FakeRequest, index: number) => FakeReply) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const recorded: FakeRequest = { authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
        this.requests.push(recorded);
        const reply = this.script(recorded, this.requests.length - 1);
        const delayMs = "delayMs" in reply ? (reply.delayMs ?? 0) : 0;
        setTimeout(() => this.answer(response, recorded, reply), delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}/v1`;
    return this.url;
  }

  private answer(response: import("node:http").ServerResponse, recorded: FakeRequest, reply: FakeReply): void {
        response.setHeader("content-type", "application/json");
        if ("status" in reply) {
          response.statusCode = reply.status;
          return response.end(JSON.stringify({ error: { message: reply.error } }));
        }
        const message =
          "content" in reply
            ? { role: "assistant", content: reply.content }
            : {
                role: "assistant",
                content: null,
                tool_calls: reply.toolCalls.map((call) => ({ id: `call_${++this.calls}`, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } })),
              };
        response.end(JSON.stringify({ id: `chatcmpl-${this.requests.length}`, object: "chat.completion", model: recorded.body.model, choices: [{ index: 0, message, finish_reason: "stop" }], usage: { prompt_tokens: 11, completion_tokens: 7 } }));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Returns the system prompt of a request. */
export function systemOf(request: FakeRequest): string {
  return request.body.messages.find((message) => message.role === "system")?.content ?? "";
}

/** A key tests give the host; it must never reach an agent or a log. */
export const API_KEY = "sk-test-0123456789abcdef";

/**
 * Plays a model that keeps what it learns in MEMORY.md: "my name is Ada" writes the
 * memory file and greets another chat; "What is my name?" reads the file and calls
 * inspect_session (an MCP tool) before it replies.
 */
export function memoryModel(request: FakeRequest): FakeReply {
  const messages = request.body.messages;
  const last = messages[messages.length - 1]!;
  const question = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  if (question.includes("my name is Ada")) {
    if (last.role === "tool") return { content: "Nice to meet you, Ada." };
    return {
      toolCalls: [
        { name: "write_file", arguments: { path: "MEMORY.md", content: "The user's name is Ada." } },
        { name: "send", arguments: { chat: "web:local/other", text: "Ada says hello" } },
      ],
    };
  }
  if (last.role !== "tool") return { toolCalls: [{ name: "read_file", arguments: { path: "MEMORY.md" } }, { name: "inspect_session", arguments: {} }] };
  const results = messages.filter((message) => message.role === "tool").map((message) => message.content ?? "");
  return { content: results.some((result) => result.includes("Ada")) ? "You are Ada." : "I do not know your name." };
}
