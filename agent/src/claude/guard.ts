/**
 * Keeps Claude Code's own file tools inside the group folder. A `PreToolUse` hook gets
 * every tool call before it runs, whatever the permission rules allow, and denies one
 * whose path leads out of the folder, into a dot-folder (host state in `.arizuko/`)
 * or through a symlink that leaves it. The run's MCP tools pass: the host checks those
 * against grants. Tools the harness does not offer never reach this hook.
 */
import type { HookCallback, HookJSONOutput } from "@anthropic-ai/claude-agent-sdk";
import { isAbsolute, relative } from "node:path";
import { insidePath } from "../openai/files.js";
import { TOOL_SERVER } from "./tools.js";

/** The input field holding each file tool's path. */
const PATH_FIELDS: Record<string, string> = { Read: "file_path", Write: "file_path", Edit: "file_path", NotebookEdit: "notebook_path", Glob: "path", Grep: "path" };
/** Fields holding glob patterns, which must not climb out either. */
const PATTERN_FIELDS: Record<string, string> = { Glob: "pattern", Grep: "glob" };

function deny(reason: string): HookJSONOutput {
  return { hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } };
}

/** Returns why `given` (absolute, or relative to `root`) is refused, or null when it stays inside. */
function pathProblem(root: string, given: unknown): string | null {
  if (given === undefined || given === null) return null; // Glob and Grep default to the working folder
  if (typeof given !== "string") return "the path must be a string";
  const inside = isAbsolute(given) ? relative(root, given) : given;
  if (inside === "" || inside === ".") return null;
  try {
    insidePath(root, inside);
    return null;
  } catch (error) {
    return `${(error as Error).message} (the group folder is ${root})`;
  }
}

function patternProblem(given: unknown): string | null {
  if (typeof given !== "string") return null;
  if (given.startsWith("/") || given.split("/").some((segment) => segment === ".." || (segment.startsWith(".") && segment !== "."))) {
    return `the pattern ${JSON.stringify(given)} leaves the group folder or enters a dot-folder`;
  }
  return null;
}

/** Builds the hook; `bash` is true when the operator gave this group the Bash tool. */
export function folderGuard(root: string, bash: boolean): HookCallback {
  return async (input) => {
    if (input.hook_event_name !== "PreToolUse") return {};
    const tool = input.tool_name;
    const args = (input.tool_input ?? {}) as Record<string, unknown>;
    if (tool.startsWith(`mcp__${TOOL_SERVER}__`)) return {};
    if (tool === "Bash") return bash ? {} : deny("Bash is not enabled for this group");

    const field = PATH_FIELDS[tool];
    if (field === undefined) return deny(`${tool} is not offered to arizuko agents`);
    const problem = pathProblem(root, args[field]) ?? (PATTERN_FIELDS[tool] ? patternProblem(args[PATTERN_FIELDS[tool]]) : null);
    return problem === null ? {} : deny(problem);
  };
}
