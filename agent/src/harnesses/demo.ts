/**
 * The demo harness: answers without any model, deterministically, and marks every
 * reply as a demo. It quotes the first line of the group's PERSONA.md, so an operator
 * sees a persona edit take effect, and keeps a session id per unit like a real
 * harness would.
 *
 * Options (config `agent.options`): `delayMs` waits that long before answering,
 * streaming a typing delta first; a `stop` cuts the wait short.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Harness, HarnessContext } from "../harness.js";

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

    const reply = demoReply(personaLine(frame.group.path), frame.messages.map((message) => message.text));
    emit({ type: "message", text: reply });
    emit({ type: "usage", input_tokens: 0, output_tokens: 0, model: "demo" });
  },
};
