/**
 * Runners start agent runners and carry the run protocol to them. The docker runner
 * (production) and the process runner (development, CI) speak the same protocol, so
 * the pipeline never knows which one it drives.
 */
import type { AgentFeature, AgentFrame, RunFrame, SteerFrame, StopFrame } from "@arizuko/sdk";

/** A harness the config names, and the setting that names it (for the error). */
export interface HarnessSetting {
  harness: string;
  setting: string;
}

export interface RunExit {
  code: number | null;
  signal: string | null;
  /** The end of the runner's stderr, for the failure message. */
  stderr: string;
}

export interface RunHandlers {
  /** Every valid frame of this run, in order. */
  onFrame(frame: AgentFrame): void;
  /** The runner broke the protocol (bad line, wrong run id); the run should fail. */
  onProtocolError(error: Error): void;
  /** The runner exited; called once. */
  onExit(exit: RunExit): void;
}

export interface RunHandle {
  /** Process id of the runner, when it is a local process. */
  readonly pid: number | null;
  readonly features: AgentFeature[];
  /** Asks the runner to finish now. */
  stop(reason: StopFrame["reason"]): void;
  /** Sends more messages into the run (runners that announced `steer`). */
  steer(frame: SteerFrame): void;
  /** Closes the runner's stdin after a finished run; it exits on its own. */
  close(): void;
  /** Ends the runner at once. */
  kill(): void;
}

export interface Runner {
  readonly name: string;
  /**
   * Starts a runner, waits for its `hello`, checks the protocol version and sends the
   * `run` frame. Rejects with a coded error when the runner cannot start or speaks
   * another protocol major.
   */
  start(frame: RunFrame, handlers: RunHandlers): Promise<RunHandle>;
  /** Removes runners left behind by a crashed host; `pid` comes from the runs table. */
  reap(pid: number, runId: string): void;
  /** Removes at start-up whatever runners an earlier host left (containers); optional. */
  cleanup?(): Promise<void>;
  /** Ends runners kept for later runs (warm containers) at shutdown; optional. */
  shutdown?(): Promise<void>;
  /** Checks once, at start-up, that the runner starts, speaks this protocol and offers every configured harness. */
  check(harnesses: HarnessSetting[], cwd: string): Promise<unknown>;
}
