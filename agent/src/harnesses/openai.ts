/**
 * The `openai` harness: any OpenAI-compatible chat completions endpoint (a local model
 * server, say), reached through the host's model proxy. The run's MCP tools and file
 * tools for the group folder are offered as functions; the model calls them in a loop
 * until it replies in text, which becomes the reply. The conversation is kept per
 * session under the group's `sessions/`.
 *
 * Messages sent during a run arrive as `steer` frames and join the conversation before
 * the next model call, so the run answers them too.
 *
 * Options (config `agent.options`): `model` (default the first the host allows),
 * `maxSteps` (model calls per run, default 8), `temperature`.
 */
import { randomUUID } from "node:crypto";
import type { Harness, HarnessContext } from "../harness.js";
import { connectTools, resultText } from "../mcp/client.js";
import { complete, ModelError, type ChatMessage, type ToolCall } from "../openai/client.js";
import { fileTools, type FileTool } from "../openai/files.js";
import { loadSession, saveSession, type Turn } from "../openai/session.js";
import { systemPrompt } from "../persona.js";

type McpClient = Awaited<ReturnType<typeof connectTools>>;

interface Toolbox {
  definitions: Array<{ type: "function"; function: { name: string; description: string; parameters: Record<string, unknown> } }>;
  call(call: ToolCall): Promise<string>;
}

async function toolbox(client: McpClient | null, files: FileTool[]): Promise<Toolbox> {
  const mcp = client ? (await client.listTools()).tools : [];
  const definitions = [
    ...mcp.map((tool) => ({ type: "function" as const, function: { name: tool.name, description: tool.description ?? "", parameters: tool.inputSchema as Record<string, unknown> } })),
    ...files.map((tool) => ({ type: "function" as const, function: { name: tool.name, description: tool.description, parameters: tool.parameters } })),
  ];

  return {
    definitions,
    async call(call) {
      let args: Record<string, unknown>;
      try {
        args = call.function.arguments.trim() === "" ? {} : (JSON.parse(call.function.arguments) as Record<string, unknown>);
      } catch {
        return `error: the arguments of ${call.function.name} are not JSON`;
      }
      const file = files.find((tool) => tool.name === call.function.name);
      if (file) {
        try {
          return file.run(args);
        } catch (error) {
          return `error: ${(error as Error).message}`;
        }
      }
      if (!client || !mcp.some((tool) => tool.name === call.function.name)) return `error: no tool ${call.function.name}`;
      const result = await client.callTool({ name: call.function.name, arguments: args });
      return resultText(result);
    },
  };
}

export const openaiHarness: Harness = {
  name: "openai",
  features: ["stop", "sessions", "usage", "steer"],

  async run({ frame, emit, signal, takeSteers }: HarnessContext): Promise<void> {
    if (!frame.model) throw new ModelError("this run has no model: set model.baseUrl and model.models in the arizuko config", false);
    if (frame.model.api === "anthropic") {
      throw new ModelError("the openai harness needs an OpenAI-compatible endpoint, but this group's model.api is anthropic; use the claude harness for it", false);
    }
    const options = frame.harness.options;
    const model = typeof options.model === "string" ? options.model : frame.model.models[0];
    const maxSteps = Number(options.maxSteps ?? 8);

    const sessionId = frame.session_id ?? `openai-${randomUUID()}`;
    if (frame.session_id === null) emit({ type: "session", session_id: sessionId });
    const history = loadSession(frame.group.path, sessionId);

    const client = frame.mcp ? await connectTools(frame.mcp, "arizuko-openai") : null;
    try {
      const tools = await toolbox(client, fileTools(frame.group.path));
      const system: ChatMessage = { role: "system", content: systemPrompt(frame.group.path) };
      const turn: Turn = [{ role: "user", content: frame.prompt }];
      const usage = { input_tokens: 0, output_tokens: 0 };

      for (let step = 1; ; step += 1) {
        // Messages sent during the run join the conversation before each model call.
        for (const steer of takeSteers()) turn.push({ role: "user", content: steer.prompt });
        const completion = await complete(
          frame.model,
          {
            model,
            messages: [system, ...history.flat(), ...turn],
            ...(tools.definitions.length > 0 && { tools: tools.definitions }),
            ...(typeof options.temperature === "number" && { temperature: options.temperature }),
          },
          signal,
        );
        usage.input_tokens += completion.usage?.prompt_tokens ?? 0;
        usage.output_tokens += completion.usage?.completion_tokens ?? 0;

        const message = completion.choices[0]!.message;
        const calls = message.tool_calls ?? [];
        turn.push({ role: "assistant", content: message.content ?? null, ...(calls.length > 0 && { tool_calls: calls }) });
        if (calls.length === 0) {
          if (message.content && message.content.trim() !== "") emit({ type: "message", text: message.content });
          // A message that came while the model wrote this reply gets a model call of its own.
          // Past maxSteps it stays untaken, and the host hands it to the next run.
          if (step >= maxSteps) break;
          const late = takeSteers();
          if (late.length === 0) break;
          for (const steer of late) turn.push({ role: "user", content: steer.prompt });
        }
        for (const call of calls) turn.push({ role: "tool", tool_call_id: call.id, content: await tools.call(call) });
        if (step >= maxSteps) {
          emit({ type: "message", text: `(stopped after ${maxSteps} model calls without a final answer)` });
          break;
        }
      }

      saveSession(frame.group.path, sessionId, [...history, turn]);
      emit({ type: "usage", ...usage, model });
    } finally {
      await client?.close();
    }
  },
};
