/**
 * The host side of the run protocol over any pair of streams: a child process's
 * stdin/stdout (process runner) or a container's attached streams (docker runner).
 * `open` waits for `hello`, checks the protocol major, sends the `run` frame and relays
 * every later frame; `readHello` is the start-up check. Runners supply the streams and
 * how to kill what is behind them.
 */
import type { Readable, Writable } from "node:stream";
import { createInterface } from "node:readline";
import { encodeFrame, PROTOCOL_VERSION, protocolMajor, type AgentFrame, type HelloFrame, type RunFrame } from "@arizuko/sdk";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import { parseAgentFrame } from "./frames.js";
import type { HarnessSetting, RunExit, RunHandle, RunHandlers } from "./runner.js";

/** A started runner: its streams and the controls behind them. */
export interface RunnerLink {
  stdin: Writable;
  stdout: Readable;
  pid: number | null;
  /** Calls `listener` once when the runner has exited. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Calls `listener` when the runner could not be started or its streams failed. */
  onError(listener: (error: Error) => void): void;
  /** The end of the runner's stderr, for failure messages. */
  stderr(): string;
  /** Ends the runner at once (SIGKILL, container kill). */
  kill(): void;
  /** True until the runner exited. */
  alive(): boolean;
}

/**
 * One runner's life: its `hello`, then runs one after another, each frame routed to
 * the current run's handlers. A cold runner serves one run; a warm container serves
 * the next run of its unit as well.
 */
export class RunnerSession {
  hello: HelloFrame | null = null;
  private current: { runId: string; handlers: RunHandlers } | null = null;
  private broken = false;
  private readonly ready: Promise<HelloFrame>;
  /** Called when the runner exits with no run in progress (a warm container going away). */
  onIdleExit: () => void = () => {};
  /** Set once a run of this runner was stopped: a stopped runner is not reused. */
  stopped = false;

  constructor(
    readonly link: RunnerLink,
    helloTimeoutMs: number,
    private readonly log: Logger,
  ) {
    this.ready = new Promise((resolve, reject) => {
      const refuse = (error: Error) => {
        this.broken = true;
        clearTimeout(timer);
        link.kill();
        reject(error);
      };
      const timer = setTimeout(() => refuse(errors.agentHelloTimeout(helloTimeoutMs)), helloTimeoutMs);

      createInterface({ input: link.stdout }).on("line", (line) => {
        if (this.broken || line.trim() === "") return;
        let parsed: AgentFrame;
        try {
          parsed = parseAgentFrame(line);
        } catch (error) {
          return this.hello === null ? refuse(error as Error) : this.fail(error as Error);
        }
        if (this.hello === null) {
          if (parsed.type !== "hello") return refuse(errors.protocolFrame(`expected hello first, got ${parsed.type}`));
          if (protocolMajor(parsed.protocol) !== protocolMajor(PROTOCOL_VERSION)) return refuse(errors.protocolVersion(parsed.protocol, PROTOCOL_VERSION));
          clearTimeout(timer);
          this.hello = parsed;
          return resolve(parsed);
        }
        this.route(parsed);
      });

      link.onError((error) => {
        if (this.hello === null) refuse(error);
      });
      link.onExit((code, signal) => {
        if (this.hello === null) return refuse(errors.agentExited(code, signal, link.stderr()));
        // Let readline deliver lines still buffered before reporting the exit.
        setImmediate(() => {
          const run = this.current;
          this.current = null;
          if (!run) return this.onIdleExit();
          const exit: RunExit = { code, signal, stderr: link.stderr() };
          if (exit.stderr) this.log.debug({ stderr: exit.stderr }, "agent runner stderr");
          run.handlers.onExit(exit);
        });
      });
    });
    // A refused hello rejects run(); this only keeps it from counting as unhandled.
    this.ready.catch(() => undefined);
  }

  /** True when the runner sent its hello, is alive and serves no run. */
  get idle(): boolean {
    return this.hello !== null && this.current === null && !this.broken && this.link.alive();
  }

  /** Waits for `hello` (once), then sends `frame`; `release` ends the run without ending the runner. */
  async run(frame: RunFrame, handlers: RunHandlers, release: (session: RunnerSession) => void): Promise<RunHandle> {
    const hello = await this.ready;
    this.current = { runId: frame.run_id, handlers };
    this.link.stdin.write(encodeFrame(frame));
    const link = this.link;
    return {
      pid: link.pid,
      features: hello.features,
      stop: (reason) => {
        this.stopped = true;
        if (link.alive() && link.stdin.writable) link.stdin.write(encodeFrame({ type: "stop", run_id: frame.run_id, reason }));
      },
      steer: (steer) => {
        if (link.alive() && link.stdin.writable) link.stdin.write(encodeFrame(steer));
      },
      close: () => {
        if (this.current?.runId === frame.run_id) release(this);
      },
      kill: () => {
        if (link.alive()) link.kill();
      },
    };
  }

  /** Ends the current run as finished while the runner lives on (warm). */
  finishRun(): void {
    const run = this.current;
    this.current = null;
    run?.handlers.onExit({ code: 0, signal: null, stderr: "" });
  }

  private route(frame: AgentFrame): void {
    const run = this.current;
    if (!run || frame.run_id !== run.runId) return this.fail(errors.protocolFrame(`frame for run ${String(frame.run_id)} during run ${run?.runId ?? "(none)"}`));
    try {
      run.handlers.onFrame(frame);
    } catch (error) {
      // A frame the host could not take (say, the store refused it) fails the run.
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    this.broken = true;
    this.log.warn({ err: error }, "agent runner broke the protocol; killing it");
    this.current?.handlers.onProtocolError(error);
    this.link.kill();
  }
}

/** Waits for `hello`, sends `frame`, relays the run's frames to `handlers`; closing ends the runner. */
export function openRun(link: RunnerLink, frame: RunFrame, handlers: RunHandlers, helloTimeoutMs: number, log: Logger): Promise<RunHandle> {
  const session = new RunnerSession(link, helloTimeoutMs, log);
  return session.run(frame, handlers, () => {
    if (link.stdin.writable) link.stdin.end();
  });
}

/**
 * Reads a runner's `hello` without a run: rejects when it speaks another protocol major
 * or does not offer `harness`, so a misconfigured runner stops start-up instead of
 * failing every message. Closes the runner's stdin once decided.
 */
export function readHello(link: RunnerLink, harnesses: HarnessSetting[], helloTimeoutMs: number): Promise<HelloFrame> {
  return new Promise<HelloFrame>((resolve, reject) => {
    const lines = createInterface({ input: link.stdout });
    let settled = false;
    const settle = (error: Error | null, hello?: HelloFrame) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      lines.close();
      link.stdin.end();
      // A runner exits on stdin EOF; one that does not is not waited for.
      setTimeout(() => link.alive() && link.kill(), 2000).unref();
      if (error) reject(error);
      else resolve(hello!);
    };
    const timer = setTimeout(() => settle(errors.agentHelloTimeout(helloTimeoutMs)), helloTimeoutMs);
    link.onError((error) => settle(error));
    link.onExit((code, signal) => settle(errors.agentExited(code, signal, link.stderr())));

    lines.once("line", (line) => {
      try {
        const frame = parseAgentFrame(line);
        if (frame.type !== "hello") throw errors.protocolFrame(`expected hello first, got ${frame.type}`);
        if (protocolMajor(frame.protocol) !== protocolMajor(PROTOCOL_VERSION)) throw errors.protocolVersion(frame.protocol, PROTOCOL_VERSION);
        const missing = harnesses.find((named) => !frame.harnesses.includes(named.harness));
        if (missing) throw errors.harnessUnknown(missing.harness, missing.setting, frame.harnesses);
        settle(null, frame);
      } catch (error) {
        settle(error as Error);
      }
    });
  });
}
