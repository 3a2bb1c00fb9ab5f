/**
 * The demo harness: answers without any model, deterministically, and marks every
 * reply as a demo. It quotes the first line of the group's PERSONA.md, so an operator
 * sees a persona edit take effect, and keeps a session id per unit like a real
 * harness would.
 *
 * It also shows the run's MCP tools at work: a message line `tools` lists the tools
 * the run may call, and a line `call <tool> <JSON arguments>` calls one, e.g.
 * `call send {"chat":"web:default/other","text":"hi"}`. The results follow the reply.
 * Grants apply as to any agent. Files sent with the messages (stored by a media
 * enricher) are listed after the reply, each with its path and transcript or problem.
 *
 * Options (config `agent.options`): `delayMs` waits that long before answering,
 * streaming a typing delta first; a `stop` cuts the wait short.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BatchMessage, RunFrame } from "@arizuko/sdk";
import type { Harness, HarnessContext } from "../harness.js";
import { connectTools, resultText } from "../mcp/client.js";

export const DEMO_MARK = "[demo]";
const NO_PERSONA = "(this group has no PERSONA.md)";

/** The first non-empty line of PERSONA.md, without Markdown heading marks. */
export function personaLine(groupPath: string): string {
  let text: string;
  try {
    text = readFileSync(join(groupPath, "PERSONA.md"), "utf8");
  } catch {
    return NO_PERSONA;
  }
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.replace(/^ {0,3}#+/, "").trim())
    .find((candidate) => candidate.length > 0);
  return line ?? NO_PERSONA;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export function demoReply(persona: string, texts: string[]): string {
  const said = texts.map((text) => (text.trim().length > 0 ? text : "(no text)")).join(" / ");
  return `${DEMO_MARK} ${persona} You said: ${said}`;
}

/** Describes each file of the batch in a line: where it was stored, and what was heard in it or why not. */
export function fileLines(messages: BatchMessage[]): string[] {
  return messages.flatMap((message) =>
    (message.files ?? []).map((file) => {
      const where = file.path ? `stored at ${file.path}` : "not stored";
      const transcript = file.transcript !== undefined ? `; heard: "${file.transcript}"` : "";
      const problem = file.error ? `; ${file.error}` : "";
      return `File ${file.name} (${file.mime}): ${where}${transcript}${problem}`;
    }),
  );
}

/** Returns the tool lines of the batch: `tools`, or `call <tool> <JSON>`. */
export function toolLines(texts: string[]): string[] {
  return texts
    .flatMap((text) => text.split(/\r?\n/))
    .map((line) => line.trim())
    .filter((line) => line === "tools" || /^call [a-z][a-z0-9_]*( |$)/.test(line));
}

/** Runs the tool lines against the run's MCP socket; one result line each. */
async function runTools(frame: RunFrame, lines: string[]): Promise<string[]> {
  if (!frame.mcp) return [`${DEMO_MARK} no tools: the host serves none to this run`];
  const client = await connectTools(frame.mcp, "arizuko-demo");
  try {
    const results: string[] = [];
    for (const line of lines) {
      if (line === "tools") {
        const { tools } = await client.listTools();
        results.push(`${DEMO_MARK} tools: ${tools.map((tool) => tool.name).join(", ") || "none"}`);
        continue;
      }
      const [, name, json] = /^call ([a-z][a-z0-9_]*) ?(.*)$/.exec(line)!;
      let args: Record<string, unknown>;
      try {
        args = json!.trim() === "" ? {} : (JSON.parse(json!) as Record<string, unknown>);
      } catch {
        results.push(`${DEMO_MARK} ${name}: the arguments are not JSON`);
        continue;
      }
      const result = await client.callTool({ name: name!, arguments: args });
      // A failed call's text already states it ("send denied: …", "send failed: …").
      results.push(`${DEMO_MARK} ${name}: ${resultText(result, " ")}`);
    }
    return results;
  } finally {
    await client.close();
  }
}

export const demoHarness: Harness = {
  name: "demo",
  features: ["stop", "sessions", "usage"],

  async run({ frame, emit, signal }: HarnessContext): Promise<void> {
    if (frame.session_id === null) emit({ type: "session", session_id: `demo-${randomUUID()}` });

    const delayMs = Number(frame.harness.options.delayMs ?? 0);
    if (delayMs > 0) {
      emit({ type: "delta", text: "…" });
      await wait(delayMs, signal);
    }

    const texts = frame.messages.map((message) => message.text);
    const lines = toolLines(texts);
    const results = lines.length > 0 ? await runTools(frame, lines) : [];
    const reply = [demoReply(personaLine(frame.group.path), texts), ...fileLines(frame.messages), ...results].join("\n");
    emit({ type: "message", text: reply });
    emit({ type: "usage", input_tokens: 0, output_tokens: 0, model: "demo" });
  },
};
