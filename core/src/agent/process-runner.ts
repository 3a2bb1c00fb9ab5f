/**
 * The process runner: the agent runner as a child process of the host, speaking the run
 * protocol on stdin/stdout. No isolation at all: for development and CI. One child
 * per run; closing its stdin ends it, so it dies with the host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { encodeFrame, PROTOCOL_VERSION, protocolMajor, type AgentFrame, type HelloFrame, type RunFrame } from "@arizuko/sdk";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import { parseAgentFrame } from "./frames.js";
import type { RunExit, RunHandle, RunHandlers, Runner } from "./runner.js";

/** Marks our runner processes on their command line, so a restarted host can find orphans. */
export const RUN_MARKER = "--arizuko-run=";
/** Bytes of stderr kept for failure messages. */
const STDERR_TAIL = 4096;
/** Environment variables passed to the runner; nothing else of the host's environment (no secrets). */
const PASSED_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "NODE_EXTRA_CA_CERTS"];

export interface ProcessRunnerOptions {
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

function childEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  env.HOME = home;
  return env;
}

export class ProcessRunner implements Runner {
  readonly name = "process";
  private readonly command: string[];

  constructor(private readonly options: ProcessRunnerOptions) {
    this.command = options.command ?? defaultAgentCommand();
  }

  start(frame: RunFrame, handlers: RunHandlers): Promise<RunHandle> {
    const [file, ...args] = this.command as [string, ...string[]];
    const child = spawn(file, [...args, `${RUN_MARKER}${frame.run_id}`], {
      cwd: frame.group.path,
      env: childEnv(frame.group.path),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const log = this.options.log.child({ runId: frame.run_id, pid: child.pid });

    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.stdin.on("error", (error) => log.debug({ err: error }, "runner stdin closed early"));

    return new Promise((resolve, reject) => {
      // One reader for the runner's whole life: "hello" until the run frame is sent, then "running".
      let phase: "hello" | "running" | "broken" = "hello";
      let started = false;
      const lines = createInterface({ input: child.stdout });

      const refuse = (error: Error) => {
        phase = "broken";
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(error);
      };
      const timer = setTimeout(() => refuse(errors.agentHelloTimeout(this.options.helloTimeoutMs)), this.options.helloTimeoutMs);

      lines.on("line", (line) => {
        if (phase === "broken" || line.trim() === "") return;
        let parsed: AgentFrame;
        try {
          parsed = parseAgentFrame(line);
        } catch (error) {
          return phase === "hello" ? refuse(error as Error) : this.broken(child, handlers, error as Error, log, () => (phase = "broken"));
        }

        if (phase === "hello") {
          if (parsed.type !== "hello") return refuse(errors.protocolFrame(`expected hello first, got ${parsed.type}`));
          if (protocolMajor(parsed.protocol) !== protocolMajor(PROTOCOL_VERSION)) {
            return refuse(errors.protocolVersion(parsed.protocol, PROTOCOL_VERSION));
          }
          clearTimeout(timer);
          phase = "running";
          started = true;
          child.stdin.write(encodeFrame(frame));
          resolve(this.handle(child, parsed, frame.run_id));
          return;
        }

        if (parsed.run_id !== frame.run_id) {
          const error = errors.protocolFrame(`frame for run ${String(parsed.run_id)} during run ${frame.run_id}`);
          return this.broken(child, handlers, error, log, () => (phase = "broken"));
        }
        try {
          handlers.onFrame(parsed);
        } catch (error) {
          // A frame the host could not take (say, the store refused it) fails the run.
          this.broken(child, handlers, error as Error, log, () => (phase = "broken"));
        }
      });

      child.once("error", (error) => {
        if (phase === "hello") refuse(error);
      });
      child.once("exit", (code, signal) => {
        if (phase === "hello") return refuse(errors.agentExited(code, signal, stderr));
        if (!started) return; // start() already rejected; the caller knows
        // Let readline deliver lines still buffered before reporting the exit.
        setImmediate(() => {
          const exit: RunExit = { code, signal, stderr };
          if (exit.stderr) log.debug({ stderr: exit.stderr }, "agent runner stderr");
          handlers.onExit(exit);
        });
      });
    });
  }

  private broken(child: ChildProcessWithoutNullStreams, handlers: RunHandlers, error: Error, log: Logger, mark: () => void): void {
    mark();
    log.warn({ err: error }, "agent runner broke the protocol; killing it");
    handlers.onProtocolError(error);
    child.kill("SIGKILL");
  }

  private handle(child: ChildProcessWithoutNullStreams, hello: HelloFrame, runId: string): RunHandle {
    return {
      pid: child.pid ?? null,
      features: hello.features,
      stop: (reason) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (child.stdin.writable) child.stdin.write(encodeFrame({ type: "stop", run_id: runId, reason }));
      },
      close: () => {
        if (child.stdin.writable) child.stdin.end();
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
    };
  }

  /**
   * Starts the runner once without a run and reads its `hello`: rejects when it speaks
   * another protocol major or does not offer `harness`, so a misconfigured runner stops
   * start-up instead of failing every message.
   */
  check(harness: string, cwd: string): Promise<HelloFrame> {
    const [file, ...args] = this.command as [string, ...string[]];
    const child = spawn(file, [...args, `${RUN_MARKER}check`], { cwd, env: childEnv(cwd), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));
    child.stdin.on("error", () => undefined);

    return new Promise<HelloFrame>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      let settled = false;
      const settle = (error: Error | null, hello?: HelloFrame) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        lines.close();
        child.stdin.end();
        // A runner exits on stdin EOF; one that does not is not waited for.
        setTimeout(() => child.kill("SIGKILL"), 2000).unref();
        if (error) reject(error);
        else resolve(hello!);
      };
      const timer = setTimeout(() => settle(errors.agentHelloTimeout(this.options.helloTimeoutMs)), this.options.helloTimeoutMs);
      child.once("error", (error) => settle(error));
      child.once("exit", (code, signal) => settle(errors.agentExited(code, signal, stderr)));

      lines.once("line", (line) => {
        try {
          const frame = parseAgentFrame(line);
          if (frame.type !== "hello") throw errors.protocolFrame(`expected hello first, got ${frame.type}`);
          if (protocolMajor(frame.protocol) !== protocolMajor(PROTOCOL_VERSION)) throw errors.protocolVersion(frame.protocol, PROTOCOL_VERSION);
          if (!frame.harnesses.includes(harness)) throw errors.harnessUnknown(harness, frame.harnesses);
          settle(null, frame);
        } catch (error) {
          settle(error as Error);
        }
      });
    });
  }

  /** Kills a runner process left by a crashed host, if that pid is still one of ours for `runId`. */
  reap(pid: number, runId: string): void {
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      return; // gone, or not Linux: nothing to reap
    }
    if (!commandLine.split("\0").includes(`${RUN_MARKER}${runId}`)) return;
    try {
      process.kill(pid, "SIGKILL");
      this.options.log.warn({ pid, runId }, "killed agent runner orphaned by a crash");
    } catch (error) {
      this.options.log.warn({ pid, runId, err: error }, "could not kill orphaned agent runner");
    }
  }
}
