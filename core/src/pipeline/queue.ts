/**
 * The run queue: one run at a time per (group, chat, topic) unit and at most
 * `maxConcurrentRuns` in all. It is driven by events (a message routed, a run ended, a
 * group resumed), never by a timer: a routed message starts its run in the same tick
 * when there is room. Messages that arrive during a unit's run are steered into it
 * when its runner takes `steer` frames, else they form its next run.
 */
import type { RunUnit } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import type { Breaker } from "./breaker.js";
import type { Executor } from "./executor.js";

export function unitKey(unit: RunUnit): string {
  return `${unit.group}\u0000${unit.chat}\u0000${unit.topic}`;
}

export class RunQueue {
  private readonly active = new Map<string, Promise<void>>();
  /** Units with pending messages waiting for room, oldest first (Map keeps insertion order). */
  private readonly waiting = new Map<string, RunUnit>();
  /** Chats and topics (`chat\0topic`) whose sessions reset when their running unit ends. */
  private readonly resets = new Set<string>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly executor: Executor,
    private readonly breaker: Breaker,
    private readonly maxConcurrentRuns: number,
    private readonly log: Logger,
  ) {}

  /**
   * The unit has new pending messages. The run starts once the code already queued has
   * run, so messages routed together join one batch instead of a run each.
   */
  notify(unit: RunUnit): void {
    if (this.stopped) return;
    const key = unitKey(unit);
    // A running unit takes the messages into its run when the runner can; else they form its next run.
    if (this.active.has(key)) {
      this.executor.steer(unit);
      return;
    }
    this.waiting.set(key, unit);
    this.schedulePump();
  }

  private pumpScheduled = false;

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Re-queues every unit with pending messages (start-up). */
  notifyAll(): void {
    for (const unit of this.store.messages.pendingUnits()) this.notify(unit);
  }

  /** Re-queues the pending units of one group (breaker half-open, resume). */
  notifyGroup(group: string): void {
    for (const unit of this.store.messages.pendingUnits()) if (unit.group === group) this.notify(unit);
  }

  /**
   * Starts fresh sessions for `chat` and `topic`: now, or when their running unit ends
   * (so a reset never pulls the session from under a run). Pending messages stay.
   */
  resetSession(chat: string, topic: string): "now" | "after-run" {
    const running = [...this.active.keys()].some((key) => {
      const [, activeChat, activeTopic] = key.split("\u0000");
      return activeChat === chat && activeTopic === topic;
    });
    if (running) {
      this.resets.add(`${chat}\u0000${topic}`);
      return "after-run";
    }
    this.store.sessions.clear(chat, topic, Date.now());
    return "now";
  }

  isActive(unit: RunUnit): boolean {
    return this.active.has(unitKey(unit));
  }

  get activeRuns(): number {
    return this.active.size;
  }

  get waitingUnits(): number {
    return this.waiting.size;
  }

  /** Stops starting runs; resolves when the active ones have ended. */
  async drain(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    await Promise.allSettled([...this.active.values()]);
  }

  private pump(): void {
    for (const [key, unit] of this.waiting) {
      if (this.active.size >= this.maxConcurrentRuns) return;
      this.waiting.delete(key);
      // A paused group's messages stay pending; the breaker re-queues them when it reopens.
      if (!this.breaker.allows(unit.group)) continue;
      this.start(key, unit);
    }
  }

  private start(key: string, unit: RunUnit): void {
    const run = this.executor
      .execute(unit)
      .catch((error: unknown) => {
        this.log.error({ group: unit.group, chat: unit.chat, topic: unit.topic, err: error }, "run failed outside the executor");
      })
      .finally(() => {
        this.active.delete(key);
        const reset = `${unit.chat}\u0000${unit.topic}`;
        if (this.resets.delete(reset)) this.store.sessions.clear(unit.chat, unit.topic, Date.now());
        if (this.stopped) return;
        if (this.store.messages.hasPending(unit)) this.waiting.set(key, unit);
        this.schedulePump();
      });
    this.active.set(key, run);
  }
}
