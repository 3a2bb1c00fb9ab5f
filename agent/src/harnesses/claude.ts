/**
 * The `claude` harness: the Claude agent SDK, which drives a Claude Code process.
 * Claude Code reaches its model through a loopback shim to the host's model proxy (an
 * Anthropic endpoint). It reaches the run's MCP tools through an in-process MCP server
 * that relays to the run's tool socket. Its transcripts live under the group's
 * `sessions/claude/`, so the session is resumed across runs.
 *
 * Claude Code's own file tools stay inside the group folder (claude/guard.ts). A
 * message that arrives during the run (a `steer`) is taken when the current turn ends and
 * becomes the next turn of the same run.
 *
 * Options (config `agent.options`, or `agent.groups.<folder>.options`): `model`
 * (default the first the host allows), `maxTurns` (model turns per message, default
 * 16), `tools` (Claude Code's built-in tools, default Read, Write, Edit, Glob and
 * Grep; add `Bash` only with the docker runner, where it runs inside the container).
 *
 * Real use needs an Anthropic key in the host's config (`model.apiKey`), never here.
 */
import type { Options, SDKMessage, SDKResultMessage } from "@anthropic-ai/claude-agent-sdk";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { folderGuard } from "../claude/guard.js";
import { PromptStream } from "../claude/prompts.js";
import { startShim } from "../claude/shim.js";
import { relayServer, TOOL_SERVER } from "../claude/tools.js";
import type { Harness, HarnessContext } from "../harness.js";
import { connectTools } from "../mcp/client.js";
import { ModelError } from "../openai/client.js";
import { systemPrompt } from "../persona.js";

const DEFAULT_TOOLS = ["Read", "Write", "Edit", "Glob", "Grep"];
const DEFAULT_MAX_TURNS = 16;
/** Claude Code session ids are UUIDs; another harness's id (after a config change) starts afresh. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Returns where Claude Code keeps its transcripts and settings: inside the group folder, so they outlive containers. */
export function claudeHome(groupPath: string): string {
  return join(groupPath, "sessions", "claude");
}

/** Builds the Claude Code process's environment: nothing of the host's but PATH, and no traffic but the model's. */
function claudeEnv(groupPath: string, baseUrl: string, token: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: claudeHome(groupPath),
    TMPDIR: tmpdir(),
    CLAUDE_CONFIG_DIR: claudeHome(groupPath),
    ANTHROPIC_BASE_URL: baseUrl,
    // The run's token for the host's proxy, which swaps in the real key.
    ANTHROPIC_API_KEY: token,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
  };
}

function failure(result: SDKResultMessage): Error {
  // An error result carries `errors`; a turn that ended on an API error is a "success" with is_error and the text.
  const detail = result.subtype === "success" ? result.result : (result.errors ?? []).join("; ") || result.subtype;
  const status = "api_error_status" in result ? result.api_error_status : null;
  // A refused request (4xx but 429) fails the same way again: no retry.
  const retryable = !(typeof status === "number" && status >= 400 && status < 500 && status !== 429);
  const reason = result.subtype === "success" ? "failed" : `ended with ${result.subtype}`;
  return new ModelError(`Claude Code's turn ${reason}${status ? ` (HTTP ${status})` : ""}: ${detail}`, retryable);
}

export const claudeHarness: Harness = {
  name: "claude",
  features: ["stop", "sessions", "usage", "steer"],

  async run({ frame, emit, signal, takeSteers }: HarnessContext): Promise<void> {
    if (!frame.model) throw new ModelError("this run has no model: set model.api to anthropic, model.baseUrl and model.models in the arizuko config", false);
    if (frame.model.api !== "anthropic") {
      throw new ModelError(`the claude harness needs an Anthropic endpoint, but this group's model.api is ${frame.model.api ?? "openai"}; set model.api: anthropic for it`, false);
    }
    const settings = frame.harness.options;
    const model = typeof settings.model === "string" ? settings.model : frame.model.models[0]!;
    const tools = Array.isArray(settings.tools) ? settings.tools.map(String) : DEFAULT_TOOLS;
    const group = frame.group.path;

    // Loaded on first use: the SDK is large, and runners of other harnesses start without it.
    const { query } = await import("@anthropic-ai/claude-agent-sdk");
    const shim = await startShim(frame.model.socket);
    const client = frame.mcp ? await connectTools(frame.mcp, "arizuko-claude") : null;
    const prompts = new PromptStream();
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const usage = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };

    const options: Options = {
      cwd: group,
      model,
      // Rendered afresh for every run: persona edits and the memory the agent wrote count at once.
      systemPrompt: { type: "custom", prompt: systemPrompt(group, { read: "Read", write: "Write" }), snapshot: false },
      tools,
      allowedTools: [...tools, `mcp__${TOOL_SERVER}`],
      permissionMode: "dontAsk",
      settingSources: [],
      maxTurns: Number(settings.maxTurns ?? DEFAULT_MAX_TURNS),
      mcpServers: client ? { [TOOL_SERVER]: await relayServer(client) } : {},
      strictMcpConfig: true,
      hooks: { PreToolUse: [{ hooks: [folderGuard(group, tools.includes("Bash"))] }] },
      ...(frame.session_id && SESSION_ID.test(frame.session_id) && { resume: frame.session_id }),
      env: claudeEnv(group, shim.url, frame.model.token),
      abortController: abort,
      stderr: (data) => process.stderr.write(`claude: ${data}`),
    };

    prompts.push(frame.prompt);
    const session = query({ prompt: prompts, options });
    try {
      for await (const message of session as AsyncIterable<SDKMessage>) {
        if (message.type === "system" && message.subtype === "init") {
          if (message.session_id !== frame.session_id) emit({ type: "session", session_id: message.session_id });
          continue;
        }
        if (message.type !== "result") continue;

        usage.input_tokens += (message.usage.input_tokens ?? 0) + (message.usage.cache_read_input_tokens ?? 0) + (message.usage.cache_creation_input_tokens ?? 0);
        usage.output_tokens += message.usage.output_tokens ?? 0;
        usage.cost_usd += message.total_cost_usd ?? 0;
        if (message.subtype !== "success" || message.is_error) throw failure(message);
        if (message.result.trim() !== "") emit({ type: "message", text: message.result });

        // Messages sent during this turn become the next one; without any, the run is done.
        const steers = takeSteers();
        if (steers.length === 0) prompts.end();
        else prompts.push(steers.map((steer) => steer.prompt).join("\n\n"));
      }
      emit({ type: "usage", ...usage, model });
    } finally {
      prompts.end();
      signal.removeEventListener("abort", onAbort);
      session.close();
      await shim.close();
      await client?.close();
    }
  },
};
