/**
 * Group commit: inbound messages submitted in the same event-loop turn are written in
 * one transaction, so under load many messages share one fsync while an idle
 * message waits for nothing but its own commit. Each submitter's promise resolves
 * only after the transaction that holds its row has committed.
 */
import type { Logger } from "pino";
import { errors } from "../errors.js";
import { isBusyError, noteBusy } from "./db.js";

/** Most rows per transaction, bounding how long any one acknowledgement waits. */
export const MAX_BATCH = 256;
/** First wait after SQLITE_BUSY (beyond the connection's own busy timeout); doubles up to the cap. */
const BUSY_RETRY_START_MS = 50;
const BUSY_RETRY_CAP_MS = 1000;
/** After this long locked out, submitters get a retryable ARZ_ERR_STORE_BUSY and their platform redelivers. */
export const BUSY_GIVE_UP_MS = 30_000;

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private scheduled = false;
  private busySince: number | null = null;
  private busyDelay = BUSY_RETRY_START_MS;

  /**
   * @param transaction writes all items in one transaction and returns one result per item, in order
   * @param write writes one item in its own transaction (used to isolate a bad item)
   */
  /**
   * @param what names the writes in log lines, e.g. `inbound commit`
   * @param turn when a batch is written: `immediate` waits for the event loop's I/O
   *   callbacks of this turn (to batch concurrent requests), `microtask` only for the
   *   code already queued (to batch work that one event fanned out, with no added delay)
   */
  constructor(
    private readonly transaction: (items: T[]) => R[],
    private readonly write: (item: T) => R,
    private readonly log: Logger,
    private readonly what = "commit",
    private readonly turn: "immediate" | "microtask" = "immediate",
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule(0);
    });
  }

  /** Rows waiting for their commit. */
  get depth(): number {
    return this.queue.length;
  }

  private schedule(delayMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flush();
    };
    if (delayMs > 0) setTimeout(run, delayMs);
    else if (this.turn === "microtask") queueMicrotask(run);
    else setImmediate(run);
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;

    try {
      const results = this.transaction(batch.map((entry) => entry.item));
      this.busySince = null;
      this.busyDelay = BUSY_RETRY_START_MS;
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      if (isBusyError(error)) this.retryBusy(batch, error);
      else this.isolate(batch);
    }

    if (this.queue.length > 0) this.schedule(0);
  }

  /** The database stayed locked past busy_timeout: keep the rows and try again, up to a limit. */
  private retryBusy(batch: Array<Pending<T, R>>, error: unknown): void {
    noteBusy();
    const now = Date.now();
    this.busySince ??= now;
    const waited = now - this.busySince;

    if (waited >= BUSY_GIVE_UP_MS) {
      this.log.error({ rows: batch.length, waitedMs: waited }, `store locked too long; ${this.what} rejected as retryable`);
      batch.forEach((entry) => entry.reject(errors.storeBusy(waited)));
      this.busySince = null;
      this.busyDelay = BUSY_RETRY_START_MS;
      return;
    }

    this.log.warn({ rows: batch.length, waitedMs: waited, retryInMs: this.busyDelay, err: error }, `store locked; retrying ${this.what}`);
    this.queue.unshift(...batch);
    this.schedule(this.busyDelay);
    this.busyDelay = Math.min(this.busyDelay * 2, BUSY_RETRY_CAP_MS);
  }

  /** The batch failed for another reason: write rows one by one so one bad row fails alone. */
  private isolate(batch: Array<Pending<T, R>>): void {
    for (const entry of batch) {
      try {
        entry.resolve(this.write(entry.item));
      } catch (error) {
        if (isBusyError(error)) {
          noteBusy();
          this.queue.unshift(entry);
          this.schedule(this.busyDelay);
        } else {
          entry.reject(error);
        }
      }
    }
  }
}
