/**
 * The per-group circuit breaker. After `failures` consecutive failed runs the group is
 * paused (open) and the chat that saw the last failure is told once; its messages wait
 * as pending, never lost. After the cooldown the breaker turns half-open: the next run
 * is a trial that closes it on success, while another failure pauses it again without
 * a second notice. `arizuko group resume` closes it at once.
 */
import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import type { Outbound } from "./outbound.js";

export interface BreakerConfig {
  failures: number;
  cooldownMs: number;
}

export class Breaker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Called when a group may run again (half-open or resumed). */
  onReopen: (group: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly config: BreakerConfig,
    private readonly outbound: Outbound,
    private readonly log: Logger,
  ) {}

  /** True when runs of `group` may start now. */
  allows(group: string): boolean {
    const record = this.store.groups.get(group);
    if (!record || record.breaker !== "open") return true;
    if (record.breakerUntil !== null && record.breakerUntil <= Date.now()) return this.halfOpen(group);
    return false;
  }

  success(group: string): void {
    const record = this.store.groups.get(group);
    if (record && (record.failureStreak > 0 || record.breaker !== "closed")) {
      if (record.breaker !== "closed") this.log.info({ group }, "circuit breaker closed after a successful run");
      this.store.groups.reset(group);
    }
  }

  /** Counts a failed run of `group`, seen in `chat`; pauses the group at the threshold. */
  failure(group: string, chat: string, topic: string): void {
    const before = this.store.groups.get(group);
    if (!before) return;
    const streak = this.store.groups.recordFailure(group);
    if (streak < this.config.failures || before.breaker === "open") return;

    const until = Date.now() + this.config.cooldownMs;
    this.store.groups.open(group, until);
    this.schedule(group, until);
    this.log.warn({ group, chat, failures: streak, cooldownMs: this.config.cooldownMs }, "circuit breaker opened; group paused");

    if (before.breaker === "closed") {
      const minutes = Math.max(1, Math.round(this.config.cooldownMs / 60_000));
      this.outbound.notice({
        chat,
        topic,
        group: null,
        replyTo: null,
        text:
          `The agent for this chat failed ${streak} times in a row and is paused. ` +
          `New messages are kept and will be answered when it resumes: automatically in about ${minutes} min, ` +
          `or when an operator runs \`arizuko group resume ${group}\`.`,
      });
    }
  }

  /** Closes the breaker now (operator resume). */
  resume(group: string): void {
    clearTimeout(this.timers.get(group));
    this.timers.delete(group);
    this.store.groups.reset(group);
    this.log.info({ group }, "group resumed by an operator");
    this.onReopen(group);
  }

  /** Re-arms the cooldown timers of groups paused before a restart. */
  restore(): void {
    for (const record of this.store.groups.list()) {
      if (record.breaker === "open" && record.breakerUntil !== null) this.schedule(record.folder, record.breakerUntil);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(group: string, until: number): void {
    clearTimeout(this.timers.get(group));
    const timer = setTimeout(() => {
      this.timers.delete(group);
      if (this.halfOpen(group)) this.onReopen(group);
    }, Math.max(0, until - Date.now()));
    timer.unref();
    this.timers.set(group, timer);
  }

  private halfOpen(group: string): boolean {
    const changed = this.store.groups.halfOpen(group);
    if (changed) this.log.info({ group }, "circuit breaker half-open; the next run is a trial");
    return true;
  }
}
