/**
 * The agent runner: speaks the run protocol on stdin/stdout (docs/agent-protocol.md).
 * It says `hello`, answers each `run` with its harness, and exits when stdin closes,
 * so it never outlives the host. Diagnostics go to stderr; stdout carries frames only.
 */
import { createInterface } from "node:readline";
import { encodeFrame, PROTOCOL_VERSION, type AgentFrame, type RunFrame, type SteerFrame } from "@arizuko/sdk";
import type { Harness, HarnessFrame } from "./harness.js";
import { demoHarness } from "./harnesses/demo.js";
import { claudeHarness } from "./harnesses/claude.js";
import { openaiHarness } from "./harnesses/openai.js";

const HARNESSES: Record<string, Harness> = { demo: demoHarness, openai: openaiHarness, claude: claudeHarness };

function send(frame: AgentFrame): void {
  process.stdout.write(encodeFrame(frame));
}

let current: { runId: string; abort: AbortController; steers: SteerFrame[]; taken: number } | null = null;

async function run(frame: RunFrame): Promise<void> {
  const runId = frame.run_id;
  const name = frame.harness?.name;
  const harness = typeof name === "string" ? HARNESSES[name] : undefined;
  if (!harness) {
    const known = Object.keys(HARNESSES).join(", ");
    send({ type: "error", run_id: runId, code: "ARZ_AGENT_HARNESS", message: `unknown harness ${JSON.stringify(name ?? null)}; this agent has ${known}`, retryable: false });
    return;
  }

  const abort = new AbortController();
  const run = { runId, abort, steers: [] as SteerFrame[], taken: 0 };
  current = run;
  const takeSteers = () => {
    const steers = run.steers.splice(0);
    run.taken += steers.length;
    return steers;
  };
  const emit = (out: HarnessFrame) => {
    if (!abort.signal.aborted) send({ ...out, run_id: runId } as AgentFrame);
  };
  try {
    await harness.run({ frame, emit, signal: abort.signal, takeSteers });
    if (abort.signal.aborted) send({ type: "error", run_id: runId, code: "ARZ_AGENT_STOPPED", message: `stopped: ${String(abort.signal.reason)}` });
    else send({ type: "done", run_id: runId, ...(run.taken > 0 && { steered: run.taken }) });
  } catch (error) {
    const message = abort.signal.aborted ? `stopped: ${String(abort.signal.reason)}` : error instanceof Error ? error.message : String(error);
    const retryable = (error as { retryable?: unknown }).retryable;
    send({
      type: "error",
      run_id: runId,
      code: abort.signal.aborted ? "ARZ_AGENT_STOPPED" : "ARZ_AGENT_HARNESS_FAILED",
      message,
      ...(retryable === false && !abort.signal.aborted && { retryable: false }),
    });
  } finally {
    current = null;
  }
}

function onLine(line: string): void {
  if (line.trim() === "") return;
  let frame: { type?: unknown; run_id?: unknown; reason?: unknown };
  try {
    frame = JSON.parse(line) as typeof frame;
  } catch {
    process.stderr.write(`agent: ignoring a line that is not JSON: ${line.slice(0, 80)}\n`);
    return;
  }

  if (frame.type === "run") {
    const runFrame = frame as RunFrame;
    if (current) {
      send({ type: "error", run_id: runFrame.run_id, code: "ARZ_AGENT_BUSY", message: `run ${current.runId} is still in progress` });
      return;
    }
    void run(runFrame);
  } else if (frame.type === "steer") {
    // Kept for the harness to take; one that never does leaves them to the next run.
    if (current && current.runId === frame.run_id) current.steers.push(frame as SteerFrame);
  } else if (frame.type === "stop") {
    if (current && current.runId === frame.run_id) current.abort.abort(String(frame.reason ?? "stop"));
  } else {
    process.stderr.write(`agent: ignoring unknown frame type ${JSON.stringify(frame.type)}\n`);
  }
}

const features = [...new Set(Object.values(HARNESSES).flatMap((harness) => harness.features))];
send({ type: "hello", run_id: null, protocol: PROTOCOL_VERSION, features, harnesses: Object.keys(HARNESSES) });

const lines = createInterface({ input: process.stdin });
lines.on("line", onLine);
lines.on("close", () => {
  current?.abort.abort("stdin closed");
  process.exit(0);
});
