/**
 * A real instance with the scheduler on a fake clock: the web channel, the route table,
 * the scripted test agent and a real SQLite file. Tasks are made with `arizuko task`
 * as an operator would; the database is read directly to check what happened.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { EmbeddedPlugin } from "../../../../core/src/index.js";
import { fixtureAgent, startInstance, type TestInstance } from "../../../../core/test/helpers/instance.js";
import { waitFor } from "../../../../core/test/helpers/wait.js";
import { schedulerPlugin } from "../../src/index.js";
import { FakeClock } from "./fake-clock.js";

/** The default plugins without the scheduler, which each test embeds on its own clock. */
export const PLUGINS = ["web", "route-table", "route-sticky", "route-command", "route-reply", "route-prefix", "dashboard"];
export const CHAT = "web:local/ops";

export interface WorldOptions {
  clock: FakeClock;
  dir?: string;
  scheduler?: Record<string, unknown>;
  config?: Record<string, unknown>;
  agent?: string;
  /** More plugins to embed, e.g. a probe that taps a hook. */
  plugins?: EmbeddedPlugin[];
}

export class World {
  constructor(
    readonly instance: TestInstance,
    readonly clock: FakeClock,
  ) {}

  static async start(options: WorldOptions): Promise<World> {
    const instance = await startInstance({
      dir: options.dir,
      config: { plugins: PLUGINS, runner: { command: fixtureAgent(options.agent ?? "scripted.mjs") }, ...options.config },
      plugins: [{ definition: schedulerPlugin({ clock: options.clock }), config: options.scheduler }, ...(options.plugins ?? [])],
    });
    return new World(instance, options.clock);
  }

  get db() {
    return this.instance.kernel.store.db;
  }

  async cli(...argv: string[]): Promise<string> {
    const result = await this.instance.kernel.runCli(argv);
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout;
  }

  /** Adds a task with the CLI and returns its id. */
  async addTask(...flags: string[]): Promise<string> {
    const out = await this.cli("task", "add", ...(flags.includes("--group") ? [] : ["--group", "main"]), ...(flags.includes("--chat") ? [] : ["--chat", CHAT]), ...flags);
    return /added task (tsk_[0-9a-f]+)/.exec(out)![1]!;
  }

  task(id: string): { status: string; next_run_at: number | null; error: string | null } {
    return this.db.prepare("SELECT status, next_run_at, error FROM scheduler_tasks WHERE id = ?").get(id) as never;
  }

  runs(id: string): Array<{ due_at: number; state: string; error: string | null; message_seq: number | null; run_id: string | null }> {
    return this.db.prepare("SELECT due_at, state, error, message_seq, run_id FROM scheduler_runs WHERE task_id = ? ORDER BY due_at, id").all(id) as never;
  }

  /** Returns what reached the agent of `group`, run by run (the scripted agent's record). */
  agentRuns(group = "main"): Array<{ texts: string[]; session_id: string | null }> {
    const file = join(this.instance.kernel.groups.path(group), "runs.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  }

  /** Replies stored for `chat`. */
  replies(chat = CHAT): string[] {
    return (this.db.prepare("SELECT text FROM messages WHERE chat = ? AND direction = 'out' ORDER BY seq").all(chat) as Array<{ text: string }>).map((row) => row.text);
  }

  /** Waits until no task run waits for its agent run. */
  async settled(): Promise<void> {
    await waitFor(() => (this.db.prepare("SELECT count(*) AS n FROM scheduler_runs WHERE state IN ('claimed', 'queued', 'running')").get() as { n: number }).n === 0, { timeoutMs: 20_000, what: "task runs to end" });
  }

  /** Moves the clock to each timer in turn up to `time`, waiting for the runs each one started. */
  async stepTo(time: number): Promise<void> {
    for (let next = this.clock.nextAt; next !== null && next <= time; next = this.clock.nextAt) {
      this.clock.set(next);
      await this.settled();
    }
    this.clock.set(time);
  }
}

export const at = (iso: string) => Date.parse(iso);
export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
