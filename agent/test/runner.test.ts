/**
 * The compiled agent runner (`agent/dist/main.js`, built by `npx tsc -b`) as a real
 * child process, spoken to over stdin/stdout with JSON lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { AgentFrame, BatchMessage, RunFrame } from "@arizuko/sdk";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const PERSONA = "Support bot for Acme.";
const FRAME_TIMEOUT_MS = 10_000;

/** One agent runner process, with every frame and stderr line it wrote so far. */
class Runner {
  readonly frames: AgentFrame[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();

  constructor() {
    this.child = spawn(process.execPath, [MAIN], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.frames.push(JSON.parse(line) as AgentFrame);
      this.wake();
    });
    this.child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  send(frame: unknown): void {
    this.child.stdin.write(JSON.stringify(frame) + "\n");
  }

  writeLine(line: string): void {
    this.child.stdin.write(line + "\n");
  }

  closeStdin(): void {
    this.child.stdin.end();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    if (this.running) this.child.kill("SIGKILL");
  }

  /** Waits until `check` returns true, checking again on every frame and stderr chunk. */
  until(check: () => boolean, what: string, timeoutMs = FRAME_TIMEOUT_MS): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${JSON.stringify(this.frames)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  /** Returns the frames of one run, in order. */
  framesOf(runId: string): AgentFrame[] {
    return this.frames.filter((frame) => frame.run_id === runId);
  }

  /** Waits for the run's `done` or `error` frame and returns all its frames. */
  async finished(runId: string): Promise<AgentFrame[]> {
    await this.until(() => this.framesOf(runId).some((frame) => frame.type === "done" || frame.type === "error"), `the end of run ${runId}`);
    return this.framesOf(runId);
  }
}

function batchMessage(text: string, index = 0): BatchMessage {
  return {
    id: `m${index}`,
    seq: index + 1,
    sender: "web:v_visitor1",
    sender_name: null,
    text,
    kind: "message",
    from_agent: false,
    reply_to: null,
    time: "2024-01-01T00:00:00.000Z",
    notes: [],
  };
}

let groupDir: string;
const runners: Runner[] = [];
let runCount = 0;

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing; run \`npx tsc -b\` first`);
});

afterEach(async () => {
  for (const runner of runners.splice(0)) {
    runner.kill();
    await runner.exited;
  }
  rmSync(groupDir, { recursive: true, force: true });
});

function startRunner(): Runner {
  groupDir = mkdtempSync(join(tmpdir(), "arizuko-agent-group-"));
  writeFileSync(join(groupDir, "PERSONA.md"), `# ${PERSONA}\n\nLonger description that the demo harness ignores.\n`);
  const runner = new Runner();
  runners.push(runner);
  return runner;
}

function runFrame(texts: string[], overrides: Partial<RunFrame> = {}): RunFrame {
  return {
    type: "run",
    run_id: `run-${++runCount}`,
    protocol: "1.0",
    group: { folder: "main", path: groupDir },
    chat: "web:local/c1",
    topic: "",
    session_id: null,
    messages: texts.map((text, index) => batchMessage(text, index)),
    context: [],
    prompt: texts.join("\n"),
    harness: { name: "demo", options: {} },
    mcp: null,
    deadline_ms: 60_000,
    ...overrides,
  };
}

async function started(): Promise<Runner> {
  const runner = startRunner();
  await runner.until(() => runner.frames.length > 0, "the hello frame");
  return runner;
}

describe("agent runner hello", () => {
  it("opens with a hello frame", async () => {
    const runner = await started();

    expect(runner.frames[0]).toEqual({ type: "hello", run_id: null, protocol: "1.3", features: ["stop", "sessions", "usage", "steer"], harnesses: ["demo", "openai", "claude"] });
  });
});

describe("agent runner runs", () => {
  it("answers a run with demo frames", async () => {
    const runner = await started();
    const frame = runFrame(["hello"]);

    runner.send(frame);
    const frames = await runner.finished(frame.run_id);

    expect(frames.map((out) => out.type)).toEqual(["session", "message", "usage", "done"]);
    expect(frames.every((out) => out.run_id === frame.run_id)).toBe(true);
  });

  it("quotes the persona first line", async () => {
    const runner = await started();
    const frame = runFrame(["hello"]);

    runner.send(frame);
    const message = (await runner.finished(frame.run_id)).find((out) => out.type === "message");

    expect(message).toEqual({ type: "message", run_id: frame.run_id, text: `[demo] ${PERSONA} You said: hello` });
  });

  it("sends a demo session id", async () => {
    const runner = await started();
    const frame = runFrame(["hello"]);

    runner.send(frame);
    const session = (await runner.finished(frame.run_id)).find((out) => out.type === "session");

    expect(session).toMatchObject({ type: "session", run_id: frame.run_id, session_id: expect.stringMatching(/^demo-[0-9a-f-]{36}$/) });
  });

  it("reports demo usage", async () => {
    const runner = await started();
    const frame = runFrame(["hello"]);

    runner.send(frame);
    const usage = (await runner.finished(frame.run_id)).find((out) => out.type === "usage");

    expect(usage).toEqual({ type: "usage", run_id: frame.run_id, input_tokens: 0, output_tokens: 0, model: "demo" });
  });

  it("skips session when resuming", async () => {
    const runner = await started();
    const frame = runFrame(["again"], { session_id: "demo-earlier" });

    runner.send(frame);

    expect((await runner.finished(frame.run_id)).map((out) => out.type)).toEqual(["message", "usage", "done"]);
  });

  it("answers a whole batch", async () => {
    const runner = await started();
    const frame = runFrame(["one", "two"]);

    runner.send(frame);
    const message = (await runner.finished(frame.run_id)).find((out) => out.type === "message");

    expect(message).toMatchObject({ text: `[demo] ${PERSONA} You said: one / two` });
  });

  it("serves runs one after another", async () => {
    const runner = await started();
    const first = runFrame(["first"]);
    const second = runFrame(["second"], { session_id: "demo-earlier" });

    runner.send(first);
    await runner.finished(first.run_id);
    runner.send(second);

    expect((await runner.finished(second.run_id)).at(-1)).toEqual({ type: "done", run_id: second.run_id });
  });

  it("reports an unknown harness", async () => {
    const runner = await started();
    const frame = runFrame(["hello"], { harness: { name: "gpt-9", options: {} } });

    runner.send(frame);
    const frames = await runner.finished(frame.run_id);

    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: "error", run_id: frame.run_id, code: "ARZ_AGENT_HARNESS" });
    expect((frames[0] as { message: string }).message).toBe('unknown harness "gpt-9"; this agent has demo, openai, claude');
  });

  it("keeps working after an unknown harness", async () => {
    const runner = await started();
    const bad = runFrame(["hello"], { harness: { name: "gpt-9", options: {} } });
    const good = runFrame(["hello"]);

    runner.send(bad);
    await runner.finished(bad.run_id);
    runner.send(good);

    expect((await runner.finished(good.run_id)).at(-1)).toEqual({ type: "done", run_id: good.run_id });
  });

  it("rejects a run while busy", async () => {
    const runner = await started();
    const slow = runFrame(["slow"], { harness: { name: "demo", options: { delayMs: 500 } } });
    const eager = runFrame(["eager"]);

    runner.send(slow);
    runner.send(eager);
    const rejected = await runner.finished(eager.run_id);

    expect(rejected).toEqual([{ type: "error", run_id: eager.run_id, code: "ARZ_AGENT_BUSY", message: `run ${slow.run_id} is still in progress` }]);
    expect((await runner.finished(slow.run_id)).at(-1)).toEqual({ type: "done", run_id: slow.run_id });
  });
});

describe("agent runner stop", () => {
  it("sends a typing delta while waiting", async () => {
    const runner = await started();
    const frame = runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 300 } } });

    runner.send(frame);

    expect((await runner.finished(frame.run_id)).map((out) => out.type)).toEqual(["session", "delta", "message", "usage", "done"]);
  });

  it("stops a delayed run early", async () => {
    const runner = await started();
    const frame = runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 2000 } } });

    runner.send(frame);
    await runner.until(() => runner.framesOf(frame.run_id).some((out) => out.type === "delta"), "the typing delta");
    const stoppedAt = Date.now();
    runner.send({ type: "stop", run_id: frame.run_id, reason: "user" });
    const frames = await runner.finished(frame.run_id);
    const elapsedMs = Date.now() - stoppedAt;

    expect(frames.at(-1)).toEqual({ type: "error", run_id: frame.run_id, code: "ARZ_AGENT_STOPPED", message: "stopped: user" });
    expect(frames.map((out) => out.type)).not.toContain("message");
    expect(elapsedMs).toBeLessThan(1500);
  });

  it("sends nothing after the stop error", async () => {
    const runner = await started();
    const frame = runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 2000 } } });

    runner.send(frame);
    await runner.until(() => runner.framesOf(frame.run_id).some((out) => out.type === "delta"), "the typing delta");
    runner.send({ type: "stop", run_id: frame.run_id, reason: "deadline" });
    const count = (await runner.finished(frame.run_id)).length;
    await new Promise((resolve) => setTimeout(resolve, 2500));

    expect(runner.framesOf(frame.run_id)).toHaveLength(count);
  });

  it("ignores a stop for another run", async () => {
    const runner = await started();
    const frame = runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 300 } } });

    runner.send(frame);
    runner.send({ type: "stop", run_id: "run-other", reason: "user" });

    expect((await runner.finished(frame.run_id)).at(-1)).toEqual({ type: "done", run_id: frame.run_id });
  });

  it("serves a run after a stop", async () => {
    const runner = await started();
    const stopped = runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 2000 } } });
    const next = runFrame(["next"]);

    runner.send(stopped);
    runner.send({ type: "stop", run_id: stopped.run_id, reason: "user" });
    await runner.finished(stopped.run_id);
    runner.send(next);

    expect((await runner.finished(next.run_id)).at(-1)).toEqual({ type: "done", run_id: next.run_id });
  });
});

describe("agent runner input", () => {
  it("exits 0 when stdin closes", async () => {
    const runner = await started();

    runner.closeStdin();

    expect(await runner.exited).toBe(0);
  });

  it("exits 0 when stdin closes mid-run", async () => {
    const runner = await started();
    runner.send(runFrame(["wait"], { harness: { name: "demo", options: { delayMs: 5000 } } }));
    await runner.until(() => runner.frames.some((out) => out.type === "delta"), "the typing delta");

    runner.closeStdin();

    expect(await runner.exited).toBe(0);
  });

  it("ignores a line that is not JSON", async () => {
    const runner = await started();

    runner.writeLine("this is not a frame");
    await runner.until(() => runner.stderr.includes("ignoring a line that is not JSON"), "the stderr message");

    expect(runner.stderr).toContain("agent: ignoring a line that is not JSON: this is not a frame");
    expect(runner.frames).toHaveLength(1);
  });

  it("keeps working after a bad line", async () => {
    const runner = await started();
    const frame = runFrame(["after garbage"]);

    runner.writeLine("{not json");
    runner.send(frame);

    expect((await runner.finished(frame.run_id)).at(-1)).toEqual({ type: "done", run_id: frame.run_id });
    expect(runner.running).toBe(true);
  });

  it("notes an unknown frame type", async () => {
    const runner = await started();

    runner.send({ type: "dance", run_id: "run-x" });
    await runner.until(() => runner.stderr.includes("unknown frame type"), "the stderr message");

    expect(runner.stderr).toContain('agent: ignoring unknown frame type "dance"');
    expect(runner.running).toBe(true);
  });

  it("ignores blank lines", async () => {
    const runner = await started();
    const frame = runFrame(["hello"]);

    runner.writeLine("");
    runner.writeLine("   ");
    runner.send(frame);
    await runner.finished(frame.run_id);

    expect(runner.stderr).toBe("");
  });
});
