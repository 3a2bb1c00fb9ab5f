/**
 * The path of one agent tool call: find the tool, validate the arguments, fill in the
 * tool's defaults, ask grants (`beforeToolCall`), run it under a deadline, record the
 * call. Every failure becomes a tool error the agent can read and act on; nothing an
 * agent sends can throw past this class.
 */
import type { ToolCallVerdict, ToolContext, ToolSpec } from "@arizuko/sdk";
import { ArizukoError } from "@arizuko/sdk";
import type { Logger } from "pino";
import { validate } from "../config/validate.js";
import { describe } from "../errors.js";
import { mayAllowGrants } from "../grants/rules.js";
import type { GrantsService } from "../grants/service.js";
import type { Hooks } from "../hooks/hooks.js";
import type { NameRegistry } from "../plugins/registry.js";
import type { Store } from "../store/index.js";

/** The caller's identity, fixed by the run that owns the socket. */
export type RunIdentity = Omit<ToolContext, "signal">;

/** The result of an MCP `tools/call`. */
export interface ToolResult {
  content: Array<{ type: "text"; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface ListedTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ToolCallsConfig {
  timeoutMs: number;
  timeoutsMs: Record<string, number>;
}

class ToolTimeout extends Error {}

/** Builds a failed call: the verdict to record and the text the agent reads. */
function failure(verdict: Exclude<ToolCallVerdict, "ok">, message: string): { verdict: Exclude<ToolCallVerdict, "ok">; message: string } {
  return { verdict, message };
}

/** A tool's return value as MCP content: text as is, anything else as JSON. */
export function toolResult(value: unknown): ToolResult {
  if (typeof value === "string") return { content: [{ type: "text", text: value }] };
  const text = value === undefined ? "ok" : JSON.stringify(value, null, 2);
  const structured = typeof value === "object" && value !== null && !Array.isArray(value);
  return { content: [{ type: "text", text }], ...(structured && { structuredContent: value as Record<string, unknown> }) };
}

export class ToolCalls {
  constructor(
    private readonly registry: NameRegistry<ToolSpec>,
    private readonly grants: GrantsService,
    private readonly hooks: Hooks,
    private readonly store: Store,
    private readonly config: ToolCallsConfig,
    private readonly log: Logger,
  ) {}

  /** Returns the tools `run` may call: those its grants could allow for its sender's role. */
  list(run: RunIdentity): ListedTool[] {
    const set = this.grants.effective(run.group, run.delegatedBy);
    return this.registry
      .values()
      .filter((tool) => mayAllowGrants(set, tool.name, { sender_role: run.senderRole }))
      .map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema as Record<string, unknown> }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Runs one call for `run`; `runSignal` aborts when the run ends. */
  async call(run: RunIdentity, name: string, rawArgs: unknown, runSignal: AbortSignal): Promise<ToolResult> {
    const started = performance.now();
    const outcome = await this.attempt(run, name, rawArgs, runSignal);
    const durationMs = performance.now() - started;

    const error = outcome.verdict === "ok" ? null : outcome.message;
    this.record(run, name, rawArgs, outcome.verdict, error, durationMs);
    void this.hooks.observe("afterToolCall", { tool: name, runId: run.runId, group: run.group, ok: outcome.verdict === "ok", verdict: outcome.verdict, durationMs, error });

    if (outcome.verdict === "ok") return outcome.result;
    return { content: [{ type: "text", text: outcome.message }], isError: true };
  }

  private visible(run: RunIdentity, tool: string): boolean {
    return this.grants.visible(run.group, run.delegatedBy, run.senderRole, tool);
  }

  private async attempt(run: RunIdentity, name: string, rawArgs: unknown, runSignal: AbortSignal) {
    // 1. A tool this run cannot see does not exist for it.
    const spec = this.registry.get(name)?.value;
    if (!spec || !this.visible(run, name)) {
      const names = this.list(run).map((tool) => tool.name).join(", ") || "none";
      return failure("unknown", `no tool ${JSON.stringify(name)} in this run; its tools are: ${names}`);
    }

    // 2. Arguments: the schema, then the tool's defaults for what the agent left out.
    const checked = this.validate(spec, rawArgs);
    if (typeof checked === "string") return failure("invalid", checked);
    const args = { ...this.defaults(spec, run), ...checked };

    // 3. Grants, then any plugin's deny-only check.
    const seen = { ...args, ...spec.grantParams?.(args) };
    const denied = await this.hooks.gate("beforeToolCall", { tool: name, args: seen, runId: run.runId, group: run.group, chat: run.chat, topic: run.topic, senderRole: run.senderRole, delegatedBy: run.delegatedBy });
    if (denied) return failure("denied", `${name} denied: ${denied.deny}`);

    // 4. The tool, under its deadline.
    return this.runWithDeadline(spec, args, run, runSignal);
  }

  private validate(spec: ToolSpec, rawArgs: unknown): Record<string, unknown> | string {
    if (rawArgs !== undefined && (typeof rawArgs !== "object" || rawArgs === null || Array.isArray(rawArgs))) {
      return `${spec.name}: arguments must be a JSON object`;
    }
    try {
      const { value, problems } = validate<Record<string, unknown>>(spec.inputSchema as Record<string, unknown>, rawArgs ?? {});
      if (problems.length > 0) return `${spec.name}: invalid arguments: ${problems.join("; ")}`;
      return value;
    } catch (error) {
      this.log.error({ tool: spec.name, err: error }, "tool input schema is invalid; the tool cannot be called");
      return `${spec.name}: the tool's input schema is broken (${describe(error)}); tell the operator`;
    }
  }

  private defaults(spec: ToolSpec, run: RunIdentity): Record<string, unknown> {
    if (!spec.defaults) return {};
    const values = spec.defaults({ ...run, signal: AbortSignal.abort() });
    return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  }

  private async runWithDeadline(spec: ToolSpec, args: Record<string, unknown>, run: RunIdentity, runSignal: AbortSignal) {
    const timeoutMs = this.config.timeoutsMs[spec.name] ?? spec.timeoutMs ?? this.config.timeoutMs;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, runSignal]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new ToolTimeout());
        reject(new ToolTimeout());
      }, timeoutMs);
    });

    try {
      const value = await Promise.race([Promise.resolve().then(() => spec.run(args, { ...run, signal })), deadline]);
      return { verdict: "ok" as const, result: toolResult(value) };
    } catch (error) {
      if (error instanceof ToolTimeout) return failure("timeout", `${spec.name} timed out after ${timeoutMs} ms; it may still finish, so check before calling it again`);
      if (!(error instanceof ArizukoError)) this.log.warn({ tool: spec.name, runId: run.runId, err: error }, "tool failed");
      return failure("error", `${spec.name} failed: ${describe(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private record(run: RunIdentity, tool: string, args: unknown, verdict: ToolCallVerdict, error: string | null, durationMs: number): void {
    try {
      this.store.toolCalls.record({ runId: run.runId, group: run.group, tool, args, verdict, error, durationMs }, Date.now());
    } catch (recordError) {
      this.log.error({ tool, runId: run.runId, err: recordError }, "failed to record a tool call");
    }
    this.log.info({ tool, runId: run.runId, group: run.group, verdict, durationMs: Math.round(durationMs), err: error ?? undefined }, "tool call");
  }
}

