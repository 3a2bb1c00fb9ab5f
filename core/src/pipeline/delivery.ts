/**
 * Delivery drains the outbox, one chat at a time in order: the head row of a chat is
 * sent before the next, so replies never arrive shuffled. The outbox owns waiting:
 * rate limits and backoff become `not_before`, and a timer wakes the chat. A row is
 * sent at least once; it is sent twice only when a crash or an `Unknown` outcome
 * leaves its fate open and the channel cannot confirm it by idempotency key.
 */
import { Permanent, sendErrorKind, type Channel, type OutboundChunk, type SendResult } from "@arizuko/sdk";
import type { Logger } from "pino";
import { describe } from "../errors.js";
import type { Hooks } from "../hooks/hooks.js";
import type { Store } from "../store/index.js";
import { toChunk, type OutboxRecord } from "../store/outbox.js";
import type { ChannelEntry, ChannelRegistry } from "./channels.js";
import { Pacing } from "./pacing.js";

/** Backoff for transient failures: 1 s, doubling, capped at 5 min; after 10 attempts the row fails. */
const BACKOFF_START_MS = 1_000;
const BACKOFF_CAP_MS = 300_000;
export const MAX_ATTEMPTS = 10;
/** A send() still pending after this long counts as an `Unknown` outcome. */
export const SEND_TIMEOUT_MS = 60_000;

export interface DeliveryCounters {
  delivered: number;
  retried: number;
  failed: number;
  /** Sends whose outcome was unknown (timeout, unclassified error) and were not retried. */
  unknownOutcomes: number;
  /** Rows resent after a crash interrupted them mid-send, without confirmation. */
  resentAfterCrash: number;
}

class SendTimeout extends Error {
  readonly kind = "unknown";
  constructor() {
    super(`send() did not settle within ${SEND_TIMEOUT_MS} ms`);
  }
}

export class Delivery {
  private readonly draining = new Set<string>();
  private readonly again = new Set<string>();
  private readonly wakeups = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly waitingForChannel = new Set<string>();
  /** Called each time a chat's drain ends; `flush()` waits on them. */
  private drainEnded: Array<() => void> = [];
  private stopped = false;
  readonly pacing = new Pacing();
  readonly counters: DeliveryCounters = { delivered: 0, retried: 0, failed: 0, unknownOutcomes: 0, resentAfterCrash: 0 };

  constructor(
    private readonly store: Store,
    private readonly channels: ChannelRegistry,
    private readonly hooks: Hooks,
    private readonly log: Logger,
  ) {}

  /** Starts (or re-checks) delivery for `chat`. */
  kick(chat: string): void {
    if (this.stopped) return;
    if (this.draining.has(chat)) {
      this.again.add(chat);
      return;
    }
    this.draining.add(chat);
    void this.drain(chat)
      .catch((error: unknown) => {
        // The rows stay in the outbox; the next kick or start-up sends them.
        this.log.error({ chat, err: error }, "delivery failed outside a send; rows kept for the next attempt");
      })
      .finally(() => {
        this.draining.delete(chat);
        if (this.again.delete(chat)) this.kick(chat);
        const waiters = this.drainEnded;
        this.drainEnded = [];
        waiters.forEach((wake) => wake());
      });
  }

  /** Kicks every chat with rows to send (start-up). */
  kickAll(): void {
    for (const chat of this.store.outbox.openChats()) this.kick(chat);
  }

  /** Sends the rows that waited for this channel to become available. */
  channelAvailable(entry: ChannelEntry): void {
    for (const chat of [...this.waitingForChannel]) {
      if (entry.channel.prefixes.some((prefix) => chat.startsWith(prefix))) {
        this.waitingForChannel.delete(chat);
        this.kick(chat);
      }
    }
  }

  /**
   * At shutdown: sends every row that can go out before `deadline` (ms since the epoch),
   * waiting for sends in progress and for wake-ups (rate limits, backoff) due before it.
   * Resolves with the chats whose rows stay for the next start: a wake-up past the
   * deadline, a disconnected channel, or a send still pending at the deadline.
   */
  async flush(deadline: number): Promise<string[]> {
    this.kickAll();
    for (;;) {
      const now = Date.now();
      const nextWake = Math.min(...[...this.wakeups.values()].map((wakeup) => wakeup.at));
      const busy = this.draining.size > 0 || nextWake < deadline;
      if (this.stopped || !busy || now >= deadline) break;
      await this.nextDrainEnd(Math.min(deadline, nextWake) - now);
    }
    return this.store.outbox.openChats();
  }

  /** Resolves when a chat's drain ends, or after `ms`. */
  private nextDrainEnd(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.drainEnded.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.wakeups.values()) clearTimeout(timer);
    this.wakeups.clear();
  }

  /** Chats with a pending wake-up timer or waiting for their channel (bounded by chats with unsent rows). */
  get waiting(): number {
    return this.wakeups.size + this.waitingForChannel.size;
  }

  private async drain(chat: string): Promise<void> {
    while (!this.stopped) {
      const row = this.store.outbox.head(chat);
      if (!row) return;

      const now = Date.now();
      if (row.notBefore > now) return this.wakeAt(chat, row.notBefore);

      // A channel that reports itself disconnected keeps its rows until it is back.
      const entry = this.channels.entryForChat(chat);
      if (!entry || !entry.started || entry.state === "disconnected") {
        if (!this.waitingForChannel.has(chat)) {
          this.log.warn({ chat, outboxId: row.id, state: entry?.state ?? "none" }, "no connected channel for chat; reply kept in the outbox until it is back");
        }
        this.waitingForChannel.add(chat);
        return;
      }

      // Within the channel's declared rates (and any pause the platform asked for).
      const allowedAt = this.pacing.nextAllowed(entry.channel.name, chat, entry.channel.capabilities.rateLimits, now);
      if (allowedAt > now) return this.wakeAt(chat, allowedAt);

      // After a failure the row is rescheduled or failed; the next turn of the loop
      // then waits for its `not_before` or moves on to the next row.
      await this.send(row, entry);
    }
  }

  private wakeAt(chat: string, at: number): void {
    clearTimeout(this.wakeups.get(chat)?.timer);
    const timer = setTimeout(() => {
      this.wakeups.delete(chat);
      this.kick(chat);
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.wakeups.set(chat, { timer, at });
  }

  /** A file goes through `sendFile()`; a channel without it cannot ever send the row. */
  private transmit(channel: Channel, chunk: OutboundChunk): Promise<SendResult> {
    if (!chunk.file) return channel.send(chunk);
    if (!channel.sendFile) return Promise.reject(new Permanent(`channel ${channel.name} cannot send files`));
    return channel.sendFile({ ...chunk, file: chunk.file });
  }

  /** Sends one row and records the outcome. */
  private async send(row: OutboxRecord, entry: ChannelEntry): Promise<void> {
    const { channel } = entry;
    const log = this.log.child({ plugin: entry.owner.name, channel: channel.name, chat: row.chat, outboxId: row.id });

    // A row found in `sending` was interrupted by a crash: its fate is unknown.
    if (row.state === "sending" && (await this.confirmed(row, channel, log))) return;
    if (row.state === "sending") this.counters.resentAfterCrash += 1;

    this.store.outbox.markSending(row.id, Date.now());
    const chunk = toChunk(row);
    const formatted = await this.hooks.waterfall("onOutbound", { text: chunk.text }, { chunk, channel: channel.name });
    const text = typeof formatted?.text === "string" ? formatted.text : chunk.text;

    try {
      this.pacing.record(channel.name, row.chat, channel.capabilities.rateLimits, Date.now());
      const result = await this.withTimeout(this.transmit(channel, { ...chunk, text }));
      if (typeof result?.platformMessageId !== "string" || result.platformMessageId.length === 0) {
        throw Object.assign(new Error("send() returned no platformMessageId"), { kind: "unknown" });
      }
      this.store.outbox.markDelivered(row.id, result.platformMessageId, Date.now());
      this.counters.delivered += 1;
      void this.hooks.observe("afterDelivery", { chunk, channel: channel.name, platformMessageId: result.platformMessageId });
    } catch (error) {
      this.failed(row, entry, error, log);
    }
  }

  private async confirmed(row: OutboxRecord, channel: Channel, log: Logger): Promise<boolean> {
    if (!channel.capabilities.confirm || !channel.confirm) {
      log.warn("resending a reply a crash interrupted mid-send; the chat may see it twice");
      return false;
    }
    try {
      const platformMessageId = await this.withTimeout(channel.confirm(toChunk(row)));
      if (!platformMessageId) return false;
      this.store.outbox.markDelivered(row.id, platformMessageId, Date.now());
      this.counters.delivered += 1;
      log.info({ platformMessageId }, "interrupted send confirmed by idempotency key");
      return true;
    } catch (error) {
      log.warn({ err: error }, "confirm() failed; resending");
      return false;
    }
  }

  /** Applies the outbox policy to a failed send: reschedule it, or fail it for good. */
  private failed(row: OutboxRecord, entry: ChannelEntry, error: unknown, log: Logger): void {
    const kind = sendErrorKind(error);
    const attempts = row.attempts + 1;
    const now = Date.now();
    const message = describe(error);

    if (kind === "rate_limited") {
      const retryAfterMs = Number((error as { retryAfterMs?: unknown }).retryAfterMs) || BACKOFF_START_MS;
      this.store.outbox.reschedule(row.id, row.attempts, now + retryAfterMs, message, now);
      if ((error as { scope?: unknown }).scope === "channel") this.pacing.pause(entry.channel.name, now + retryAfterMs);
      this.counters.retried += 1;
      log.info({ retryAfterMs }, "rate limited; send postponed");
      return;
    }

    const retryable = kind === "transient" || (kind === "unknown" && entry.channel.capabilities.confirm === true);
    if (retryable && attempts < MAX_ATTEMPTS) {
      const delayMs = Math.min(BACKOFF_START_MS * 2 ** (attempts - 1), BACKOFF_CAP_MS);
      this.store.outbox.reschedule(row.id, attempts, now + delayMs, message, now);
      this.counters.retried += 1;
      log.warn({ attempt: attempts, delayMs, err: message }, "send failed; retrying");
      return;
    }

    if (kind === "unknown") this.counters.unknownOutcomes += 1;
    this.store.outbox.markFailed(row.id, attempts, message, now);
    this.counters.failed += 1;
    log.error({ kind, attempt: attempts, err: message }, kind === "unknown" ? "send outcome unknown; not retried, the platform may or may not show it" : "send failed for good");
    void this.hooks.observe("onDeliveryFailed", { chunk: toChunk(row), channel: entry.channel.name, error: message });
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SendTimeout()), SEND_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
