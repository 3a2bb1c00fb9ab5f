/**
 * A fake Anthropic Messages API on 127.0.0.1: it records every request and responds
 * with what the test's script returns for it, streamed as server-sent events when the
 * request sets `stream` (as Claude Code does). The test plays the model, tool uses
 * included.
 */
import { createServer, type Server, type ServerResponse } from "node:http";

export interface AnthropicBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

export interface AnthropicRequest {
  path: string;
  apiKey: string | undefined;
  version: string | undefined;
  body: {
    model: string;
    stream?: boolean;
    system?: string | Array<{ type: string; text: string }>;
    messages: Array<{ role: string; content: string | AnthropicBlock[] }>;
    tools?: Array<{ name: string }>;
  };
}

export type AnthropicReply =
  | { text: string; delayMs?: number }
  | { toolUses: Array<{ name: string; input: Record<string, unknown> }>; delayMs?: number }
  | { status: number; error: string };

/** Returns the system prompt of a request as one string. */
export function systemText(request: AnthropicRequest): string {
  const system = request.body.system ?? "";
  return typeof system === "string" ? system : system.map((part) => part.text).join("\n");
}

/** Returns every text of a request's user turns (plain strings and text blocks), in order. */
export function userTexts(request: AnthropicRequest): string[] {
  return request.body.messages
    .filter((message) => message.role === "user")
    .flatMap((message) => (typeof message.content === "string" ? [message.content] : message.content.filter((block) => block.type === "text").map((block) => block.text ?? "")));
}

/** Returns the tool results of a request's last user turn. */
export function toolResults(request: AnthropicRequest): AnthropicBlock[] {
  const last = request.body.messages.at(-1);
  if (!last || typeof last.content === "string") return [];
  return last.content.filter((block) => block.type === "tool_result");
}

/** Returns a tool result's text, whether Claude Code sent a string or text blocks. */
export function resultOf(block: AnthropicBlock): string {
  if (typeof block.content === "string") return block.content;
  return ((block.content as AnthropicBlock[] | undefined) ?? []).map((part) => part.text ?? "").join("\n");
}

export class FakeAnthropic {
  /** Message requests (not token counts), in order. */
  readonly requests: AnthropicRequest[] = [];
  private server: Server | null = null;
  private uses = 0;
  url = "";

  constructor(private readonly script: (request: AnthropicRequest, index: number) => AnthropicReply) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = (request.url ?? "").split("?")[0]!;
        const key = request.headers["x-api-key"];
        const version = request.headers["anthropic-version"];
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as AnthropicRequest["body"];
        if (path === "/v1/messages/count_tokens") return this.json(response, 200, { input_tokens: 100 });
        if (path !== "/v1/messages") return this.json(response, 404, { type: "error", error: { type: "not_found_error", message: `no ${path}` } });

        const recorded: AnthropicRequest = { path, apiKey: typeof key === "string" ? key : undefined, version: typeof version === "string" ? version : undefined, body };
        this.requests.push(recorded);
        const reply = this.script(recorded, this.requests.length - 1);
        const delayMs = "delayMs" in reply ? (reply.delayMs ?? 0) : 0;
        setTimeout(() => this.answer(response, recorded, reply), delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/v1`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private json(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }

  private answer(response: ServerResponse, request: AnthropicRequest, reply: AnthropicReply): void {
    if ("status" in reply) return this.json(response, reply.status, { type: "error", error: { type: "invalid_request_error", message: reply.error } });
    const content =
      "text" in reply
        ? [{ type: "text", text: reply.text }]
        : reply.toolUses.map((use) => ({ type: "tool_use", id: `toolu_${String(++this.uses).padStart(4, "0")}`, name: use.name, input: use.input }));
    const stopReason = "text" in reply ? "end_turn" : "tool_use";
    const usage = { input_tokens: 20, output_tokens: 8 };
    const message = { id: `msg_${this.requests.length}`, type: "message", role: "assistant", model: request.body.model, content, stop_reason: stopReason, stop_sequence: null, usage };
    if (!request.body.stream) return this.json(response, 200, message);

    response.writeHead(200, { "content-type": "text/event-stream" });
    const event = (type: string, data: Record<string, unknown>) => response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    event("message_start", { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input_tokens, output_tokens: 0 } } });
    content.forEach((block, index) => {
      if (block.type === "text") {
        event("content_block_start", { index, content_block: { type: "text", text: "" } });
        event("content_block_delta", { index, delta: { type: "text_delta", text: block.text } });
      } else {
        event("content_block_start", { index, content_block: { ...block, input: {} } });
        event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
      }
      event("content_block_stop", { index });
    });
    event("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    event("message_stop", {});
    response.end();
  }
}
