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
import type { RunExit, RunHandle, RunHandlers } from "./runner.js";

/** What a runner started: its streams and the controls behind them. */
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

/** Waits for `hello`, sends `frame`, relays the run's frames to `handlers`. */
export function openRun(link: RunnerLink, frame: RunFrame, handlers: RunHandlers, helloTimeoutMs: number, log: Logger): Promise<RunHandle> {
  return new Promise((resolve, reject) => {
    // One reader for the runner's whole life: "hello" until the run frame is sent, then "running".
    let phase: "hello" | "running" | "broken" = "hello";
    let started = false;
    const lines = createInterface({ input: link.stdout });

    const refuse = (error: Error) => {
      phase = "broken";
      clearTimeout(timer);
      link.kill();
      reject(error);
    };
    const broken = (error: Error) => {
      phase = "broken";
      log.warn({ err: error }, "agent runner broke the protocol; killing it");
      handlers.onProtocolError(error);
      link.kill();
    };
    const timer = setTimeout(() => refuse(errors.agentHelloTimeout(helloTimeoutMs)), helloTimeoutMs);

    lines.on("line", (line) => {
      if (phase === "broken" || line.trim() === "") return;
      let parsed: AgentFrame;
      try {
        parsed = parseAgentFrame(line);
      } catch (error) {
        return phase === "hello" ? refuse(error as Error) : broken(error as Error);
      }

      if (phase === "hello") {
        if (parsed.type !== "hello") return refuse(errors.protocolFrame(`expected hello first, got ${parsed.type}`));
        if (protocolMajor(parsed.protocol) !== protocolMajor(PROTOCOL_VERSION)) return refuse(errors.protocolVersion(parsed.protocol, PROTOCOL_VERSION));
        clearTimeout(timer);
        phase = "running";
        started = true;
        link.stdin.write(encodeFrame(frame));
        resolve(handleOf(link, parsed, frame.run_id));
        return;
      }

      if (parsed.run_id !== frame.run_id) return broken(errors.protocolFrame(`frame for run ${String(parsed.run_id)} during run ${frame.run_id}`));
      try {
        handlers.onFrame(parsed);
      } catch (error) {
        // A frame the host could not take (say, the store refused it) fails the run.
        broken(error as Error);
      }
    });

    link.onError((error) => {
      if (phase === "hello") refuse(error);
    });
    link.onExit((code, signal) => {
      if (phase === "hello") return refuse(errors.agentExited(code, signal, link.stderr()));
      if (!started) return; // openRun already rejected; the caller knows
      // Let readline deliver lines still buffered before reporting the exit.
      setImmediate(() => {
        const exit: RunExit = { code, signal, stderr: link.stderr() };
        if (exit.stderr) log.debug({ stderr: exit.stderr }, "agent runner stderr");
        handlers.onExit(exit);
      });
    });
  });
}

function handleOf(link: RunnerLink, hello: HelloFrame, runId: string): RunHandle {
  return {
    pid: link.pid,
    features: hello.features,
    stop: (reason) => {
      if (link.alive() && link.stdin.writable) link.stdin.write(encodeFrame({ type: "stop", run_id: runId, reason }));
    },
    close: () => {
      if (link.stdin.writable) link.stdin.end();
    },
    kill: () => {
      if (link.alive()) link.kill();
    },
  };
}

/**
 * Reads a runner's `hello` without a run: rejects when it speaks another protocol major
 * or does not offer `harness`, so a misconfigured runner stops start-up instead of
 * failing every message. Closes the runner's stdin once decided.
 */
export function readHello(link: RunnerLink, harness: string, helloTimeoutMs: number): Promise<HelloFrame> {
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
        if (!frame.harnesses.includes(harness)) throw errors.harnessUnknown(harness, frame.harnesses);
        settle(null, frame);
      } catch (error) {
        settle(error as Error);
      }
    });
  });
}
