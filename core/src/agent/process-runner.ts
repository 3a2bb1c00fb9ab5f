/**
 * The process runner: the agent runner as a child process of the host, speaking the run
 * protocol on stdin/stdout. No isolation at all: for development and CI. Children are
 * warm like the docker runner's containers (warm-pool.ts): a unit's child serves the
 * unit's next run. Closing a child's stdin ends it, so it dies with the host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import type { HelloFrame, RunFrame } from "@arizuko/sdk";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { readHello, type RunnerLink } from "./link.js";
import type { HarnessSetting, RunHandle, RunHandlers, Runner } from "./runner.js";
import { unitOf, WarmPool, type WarmPoolOptions } from "./warm-pool.js";

/** Marks our runner processes on their command line, so a restarted host can find orphans. */
export const RUN_MARKER = "--arizuko-run=";
/** Bytes of stderr kept for failure messages. */
const STDERR_TAIL = 4096;
/** Environment variables passed to the runner; nothing else of the host's environment (no secrets). */
const PASSED_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "NODE_EXTRA_CA_CERTS"];

export interface ProcessRunnerOptions extends Partial<WarmPoolOptions> {
  /** Command and arguments; defaults to the bundled @arizuko/agent on this Node.js. */
  command?: string[];
  helloTimeoutMs: number;
  log: Logger;
}

export function defaultAgentCommand(): string[] {
  // The compiled entry, found from the package folder: resolving "@arizuko/agent/main"
  // would follow any custom export condition the host itself runs with.
  const manifest = createRequire(import.meta.url).resolve("@arizuko/agent/package.json");
  const entry = join(dirname(manifest), "dist", "main.js");
  return [process.execPath, entry];
}

/** A child process as a runner link; keeps the end of its stderr. */
function processLink(child: ChildProcessWithoutNullStreams): RunnerLink {
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    pid: child.pid ?? null,
    onExit: (listener) => child.once("exit", (code, signal) => listener(code, signal)),
    onError: (listener) => child.once("error", listener),
    stderr: () => stderr,
    kill: () => {
      if (alive()) child.kill("SIGKILL");
    },
    alive,
  };
}

function childEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  env.HOME = home;
  return env;
}

export class ProcessRunner implements Runner {
  readonly name = "process";
  private readonly command: string[];
  private readonly pool: WarmPool;

  constructor(private readonly options: ProcessRunnerOptions) {
    this.command = options.command ?? defaultAgentCommand();
    // Without settings (tests, embedders), a child per run as before warm runners.
    this.pool = new WarmPool({ keepWarmMs: options.keepWarmMs ?? 0, maxRunners: options.maxRunners ?? 8, helloTimeoutMs: options.helloTimeoutMs });
  }

  start(frame: RunFrame, handlers: RunHandlers): Promise<RunHandle> {
    const log = this.options.log.child({ runId: frame.run_id, group: frame.group.folder, runner: "process" });
    return this.pool.run(unitOf(frame), frame, handlers, async () => {
      const [file, ...args] = this.command as [string, ...string[]];
      // The marker names the child's first run; a warm child serves later runs under it.
      const child = spawn(file, [...args, `${RUN_MARKER}${frame.run_id}`], {
        cwd: frame.group.path,
        env: childEnv(frame.group.path),
        stdio: ["pipe", "pipe", "pipe"],
      });
      child.stdin.on("error", (error) => log.debug({ err: error }, "runner stdin closed early"));
      return { link: processLink(child), name: `pid ${child.pid}` };
    }, log);
  }

  /** Ends children that wait for work (shutdown); busy ones end with their runs. */
  async shutdown(): Promise<void> {
    this.pool.shutdown();
  }

  /**
   * Starts the runner once without a run and reads its `hello`: rejects when it speaks
   * another protocol major or lacks a configured harness, so a misconfigured runner stops
   * start-up instead of failing every message.
   */
  check(harnesses: HarnessSetting[], cwd: string): Promise<HelloFrame> {
    const [file, ...args] = this.command as [string, ...string[]];
    const child = spawn(file, [...args, `${RUN_MARKER}check`], { cwd, env: childEnv(cwd), stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => undefined);
    return readHello(processLink(child), harnesses, this.options.helloTimeoutMs);
  }

  /** Kills a runner process left by a crashed host, if that pid is still an agent runner. */
  reap(pid: number, runId: string): void {
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      return; // gone, or not Linux: nothing to reap
    }
    // A warm child carries the marker of its first run, which may be an earlier one than
    // `runId`: any marker shows the pid is still an agent runner and not a reused pid.
    if (!commandLine.split("\0").some((arg) => arg.startsWith(RUN_MARKER))) return;
    try {
      process.kill(pid, "SIGKILL");
      this.options.log.warn({ pid, runId }, "killed agent runner orphaned by a crash");
    } catch (error) {
      this.options.log.warn({ pid, runId, err: error }, "could not kill orphaned agent runner");
    }
  }
}
