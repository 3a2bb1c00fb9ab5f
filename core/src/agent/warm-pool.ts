/**
 * Warm runners, the same for both runners. After a run, a unit's runner waits
 * `keepWarmMs` for the unit's next run and gets it as a new `run` frame, without a cold
 * start. After that wait its stdin is closed and it exits. At most `maxRunners` live
 * at once; when the pool is full, the oldest idle one goes first. A runner whose run
 * was stopped (by `/stop` or its deadline) is not reused, since its harness was cut
 * short.
 */
import type { RunFrame } from "@arizuko/sdk";
import type { Logger } from "pino";
import { RunnerSession, type RunnerLink } from "./link.js";
import type { RunHandle, RunHandlers } from "./runner.js";

export interface WarmPoolOptions {
  /** Milliseconds a unit's runner waits for the unit's next run; 0 ends it after each run. */
  keepWarmMs: number;
  /** Runners alive at once, busy or idle. */
  maxRunners: number;
  helloTimeoutMs: number;
}

interface Warm {
  /** For logs: a pid or a container id. */
  name: string;
  session: RunnerSession;
  idleTimer: NodeJS.Timeout | undefined;
  lastUsed: number;
}

/** A new runner for a unit, and how logs name it. */
export interface OpenedRunner {
  link: RunnerLink;
  name: string;
}

/** Returns the key of a run's unit: one warm runner per (group, chat, topic). */
export function unitOf(frame: RunFrame): string {
  return `${frame.group.folder}\0${frame.chat}\0${frame.topic}`;
}

export class WarmPool {
  private readonly pool = new Map<string, Warm>();

  constructor(private readonly options: WarmPoolOptions) {}

  /**
   * Sends `frame` to the unit's waiting runner, or to a new one from `open`. `frame` is
   * what the runner receives (the docker runner rewrites paths); `unit` comes from the
   * host's frame.
   */
  async run(unit: string, frame: RunFrame, handlers: RunHandlers, open: () => Promise<OpenedRunner>, log: Logger): Promise<RunHandle> {
    const warm = this.pool.get(unit);
    if (warm?.session.idle && !warm.session.stopped) {
      clearTimeout(warm.idleTimer);
      warm.lastUsed = Date.now();
      log.debug({ runner: warm.name }, "run in a warm runner");
      return warm.session.run(frame, handlers, (session) => this.release(warm, session));
    }

    this.makeRoom();
    const { link, name } = await open();
    const entry: Warm = { name, session: new RunnerSession(link, this.options.helloTimeoutMs, log), idleTimer: undefined, lastUsed: Date.now() };
    this.pool.set(unit, entry);
    link.onExit(() => {
      clearTimeout(entry.idleTimer);
      if (this.pool.get(unit) === entry) this.pool.delete(unit);
    });
    return entry.session.run(frame, handlers, (session) => this.release(entry, session));
  }

  /** Ends runners that wait for work (shutdown); busy ones end with their runs. */
  shutdown(): void {
    for (const warm of this.pool.values()) {
      clearTimeout(warm.idleTimer);
      if (warm.session.idle) warm.session.link.stdin.end();
    }
  }

  /** Ends a finished run: the runner waits `keepWarmMs` for the unit's next run, then exits. */
  private release(warm: Warm, session: RunnerSession): void {
    session.finishRun();
    if (session.stopped || this.options.keepWarmMs === 0) {
      session.link.stdin.end();
      return;
    }
    warm.lastUsed = Date.now();
    warm.idleTimer = setTimeout(() => {
      if (warm.session.idle) warm.session.link.stdin.end();
    }, this.options.keepWarmMs);
    warm.idleTimer.unref();
  }

  /** Ends the oldest idle runner when the pool is full; when all are busy, the queue's run cap bounds them. */
  private makeRoom(): void {
    if (this.pool.size < this.options.maxRunners) return;
    const idle = [...this.pool.values()].filter((warm) => warm.session.idle).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!idle) return;
    clearTimeout(idle.idleTimer);
    idle.session.link.stdin.end();
  }
}
