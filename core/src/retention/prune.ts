/**
 * The retention prune: deletes messages, received files and run records older than
 * their group's age (`retention` in the config). The kernel runs it once at start,
 * after recovery, and then daily.
 *
 * Rows are read a batch at a time in `seq` (or `rowid`) order. Each batch is deleted in
 * its own short transaction, with a turn of the event loop between batches, so the web
 * chat and inbound messages wait at most one batch. Files go after the
 * transaction that removed their rows commits: a crash in between leaves a stray file,
 * never a row whose file is gone without a note.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Logger } from "pino";
import type { RetentionConfig } from "../config/schema.js";
import type { Store } from "../store/index.js";
import { PurgeStore, type MessageRef } from "../store/purge.js";
import { systemClock, type Clock } from "./clock.js";
import type { DeletedSink } from "./deleted.js";
import { removeMessageFiles } from "./media-files.js";
import { RetentionPolicy } from "./policy.js";

/** Rows read and deleted per transaction: small enough that one batch takes milliseconds. */
export const PRUNE_BATCH = 500;

/** Counts of what one prune deleted, by kind. */
export interface PruneCounts {
  messages: number;
  /** Outbox rows of deleted messages (delivered or failed). */
  outbox: number;
  /** Received files removed from disk, with their message or on their own (`mediaDays`). */
  media: number;
  runs: number;
  toolCalls: number;
}

export const NO_COUNTS: PruneCounts = { messages: 0, outbox: 0, media: 0, runs: 0, toolCalls: 0 };

export interface RetentionOptions {
  /** Path of a group's folder, where its messages' files live. */
  groupPath(folder: string): string;
  clock?: Clock;
  log: Logger;
  /** Called after each prune with what it deleted, for /metrics. */
  onPruned?(counts: PruneCounts): void;
  /** Called with each batch of deleted messages, for the `afterDelete` hook. */
  onDeleted?: DeletedSink;
}

export class Retention {
  private readonly policy: RetentionPolicy;
  private readonly purge: PurgeStore;
  private readonly clock: Clock;
  private running: Promise<PruneCounts> | null = null;
  private stopped = false;

  constructor(
    store: Store,
    config: RetentionConfig,
    private readonly options: RetentionOptions,
  ) {
    this.policy = new RetentionPolicy(config);
    this.purge = new PurgeStore(store.db);
    this.clock = options.clock ?? systemClock;
  }

  /** Deletes everything past its age; a call while a prune runs waits for that one. */
  prune(): Promise<PruneCounts> {
    this.running ??= this.pruneAll().finally(() => (this.running = null));
    return this.running;
  }

  /** Makes a prune in progress end after its current batch, and waits for it; later calls prune nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  private async pruneAll(): Promise<PruneCounts> {
    const now = this.clock.now();
    const counts = { ...NO_COUNTS };

    // 1. Messages past their age, with their outbox rows and files.
    await this.pruneMessages(now, counts);

    // 2. Files of the messages that stay, past the media age.
    await this.pruneMedia(now, counts);

    // 3. Ended runs and their tool calls.
    await this.pruneRuns(now, counts);

    const deleted = counts.messages + counts.media + counts.runs;
    if (deleted > 0) this.options.log.info({ ...counts }, "retention prune deleted data past its age");
    else this.options.log.debug("retention prune found nothing past its age");
    this.options.onPruned?.(counts);
    return counts;
  }

  private async pruneMessages(now: number, counts: PruneCounts): Promise<void> {
    const latest = this.policy.latestCutoff("messagesDays", now);
    if (latest === null) return;
    let after = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = this.purge.removableMessages(after, latest, PRUNE_BATCH);
      if (batch.length === 0) return;
      after = batch.at(-1)!.seq;

      const expired = batch.filter((message) => this.isPast("messagesDays", message.group, message.ts, now));
      const deleted = this.purge.deleteMessages(expired.map((message) => message.seq));
      counts.messages += deleted.messages;
      counts.outbox += deleted.outbox;
      for (const message of expired) counts.media += this.removeFiles(message, "deleted with its message by retention").removed;
      if (expired.length > 0) this.options.onDeleted?.("retention", expired);
      await nextTurn();
    }
  }

  private async pruneMedia(now: number, counts: PruneCounts): Promise<void> {
    const latest = this.policy.latestCutoff("mediaDays", now);
    if (latest === null) return;
    let after = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = this.purge.messagesWithMedia(after, latest, PRUNE_BATCH);
      if (batch.length === 0) return;
      after = batch.at(-1)!.seq;

      for (const message of batch) {
        if (!this.isPast("mediaDays", message.group, message.ts, now)) continue;
        const days = this.policy.days("mediaDays", message.group);
        const result = this.removeFiles(message, `file deleted by retention after ${days} days`);
        if (result.removed === 0) continue;
        this.purge.setFiles(message.seq, result.files);
        counts.media += result.removed;
      }
      await nextTurn();
    }
  }

  private async pruneRuns(now: number, counts: PruneCounts): Promise<void> {
    const latest = this.policy.latestCutoff("runLogsDays", now);
    if (latest === null) return;
    let after = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = this.purge.endedRuns(after, latest, PRUNE_BATCH);
      if (batch.length === 0) return;
      after = batch.at(-1)!.rowid;

      const expired = batch.filter((run) => this.isPast("runLogsDays", run.group, run.at, now));
      const deleted = this.purge.deleteRuns(expired.map((run) => run.id));
      counts.runs += deleted.runs;
      counts.toolCalls += deleted.toolCalls;
      await nextTurn();
    }
  }

  /** True when a time is past its group's age for a kind; exactly at the age is kept. */
  private isPast(kind: "messagesDays" | "mediaDays" | "runLogsDays", group: string | null, at: number, now: number): boolean {
    const cutoff = this.policy.cutoff(kind, group, now);
    return cutoff !== null && at < cutoff;
  }

  private removeFiles(message: MessageRef, reason: string): { removed: number; files: string | null } {
    const groupPath = message.group === null ? null : this.options.groupPath(message.group);
    try {
      return removeMessageFiles(groupPath, message.files, reason);
    } catch (error) {
      this.options.log.warn({ seq: message.seq, group: message.group, err: error }, "retention could not delete a message's file; check the group folder's permissions");
      return { removed: 0, files: message.files };
    }
  }
}
