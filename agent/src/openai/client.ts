/**
 * Chat completions through the host's model proxy: HTTP over the run's model socket.
 * The proxy adds the real key; the agent only ever has the run's token.
 */
import { request } from "node:http";
import type { RunFrame } from "@arizuko/sdk";

export type ModelEndpoint = NonNullable<RunFrame["model"]>;

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface Completion {
  choices: Array<{ message: ChatMessage; finish_reason?: string }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  model?: string;
}

/** A failed model call; `retryable` is false when calling again cannot help (a 4xx but 429). */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
  }
}

/** POSTs one chat completion request; rejects with the proxy's or model's error message. */
export function complete(endpoint: ModelEndpoint, body: Record<string, unknown>, signal: AbortSignal): Promise<Completion> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const call = request(
      {
        socketPath: endpoint.socket,
        path: "/v1/chat/completions",
        method: "POST",
        signal,
        headers: { "content-type": "application/json", "content-length": String(payload.length), authorization: `Bearer ${endpoint.token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new ModelError(`the model returned HTTP ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
          }
          if (response.statusCode !== 200) {
            const message = (parsed as { error?: { message?: string } }).error?.message ?? text.slice(0, 200);
            const status = response.statusCode ?? 0;
            return reject(new ModelError(`the model returned HTTP ${status}: ${message}`, !(status >= 400 && status < 500 && status !== 429)));
          }
          const completion = parsed as Completion;
          if (!Array.isArray(completion.choices) || completion.choices.length === 0) return reject(new ModelError("the model returned no choices"));
          resolve(completion);
        });
      },
    );
    call.on("error", reject);
    call.end(payload);
  });
}
