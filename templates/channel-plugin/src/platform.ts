/**
 * "Console", a tiny chat platform that lives in the process, standing in for a real
 * one. Its API is shaped like a long-polling bot API: `getUpdates(offset)` returns the
 * updates from `offset` on and, by asking for `offset`, confirms every update before
 * it. Like a platform that keeps history, it still returns confirmed updates to a
 * client that requests an older offset, so a bot that loses its offset receives them
 * again. `sendMessage()` posts a message or fails like a platform does (429 with
 * retry-after, 400, 5xx). Tests use its controls to post events and inject failures.
 */

export interface ConsoleMessage {
  id: string;
  chat: string;
  from: string;
  text: string;
  /** True when the text addresses the bot (`@console_bot`). */
  mentionsBot?: boolean;
  replyToId?: string;
  threadId?: string;
}

export interface ConsoleUpdate {
  updateId: number;
  message?: ConsoleMessage;
  edit?: { messageId: string; chat: string; from: string; text: string; revision: string };
  reaction?: { messageId: string; chat: string; from: string; emoji: string };
}

export interface SendRequest {
  chat: string;
  text: string;
  replyToId?: string;
  threadId?: string;
}

/** An error response of the Console API. */
export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface SentRecord extends SendRequest {
  at: number;
  status: number;
}

type Update = Omit<ConsoleUpdate, "updateId">;

export class ConsolePlatform {
  private readonly updates: ConsoleUpdate[] = [];
  /** Every update below this id has been confirmed. */
  private confirmedBelow = 1;
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private waiters: Array<() => void> = [];
  private failures: ConsoleApiError[] = [];
  private connected = true;
  private readonly ackListeners: Array<(update: ConsoleUpdate) => void> = [];
  /** Every sendMessage call, with the status it returned. */
  readonly sent: SentRecord[] = [];

  // The API a channel uses.

  /** Returns updates with id >= offset (waiting up to `waitMs` for one) and confirms those before it. */
  async getUpdates(offset: number, waitMs: number, signal?: AbortSignal): Promise<ConsoleUpdate[]> {
    if (!this.connected) throw new ConsoleApiError(503, "console: network unreachable");
    this.confirm(offset);
    const ready = () => this.updates.filter((update) => update.updateId >= offset);
    if (ready().length === 0) await this.wait(waitMs, signal);
    if (!this.connected) throw new ConsoleApiError(503, "console: network unreachable");
    return ready();
  }

  async sendMessage(request: SendRequest): Promise<{ messageId: string }> {
    const failure = this.failures.shift() ?? (this.connected ? undefined : new ConsoleApiError(503, "console: network unreachable"));
    this.sent.push({ ...request, at: Date.now(), status: failure?.status ?? 200 });
    if (failure) throw failure;
    return { messageId: `out-${this.nextMessageId++}` };
  }

  // Controls for tests.

  /** Posts an update as the platform would; returns its update id. */
  post(update: Update): number {
    const updateId = this.nextUpdateId++;
    this.updates.push({ updateId, ...update });
    this.wakeAll();
    return updateId;
  }

  /** Calls `listener` for each update when a channel confirms it. */
  onConfirm(listener: (update: ConsoleUpdate) => void): void {
    this.ackListeners.push(listener);
  }

  /** Makes the next sendMessage fail with `failure`. */
  failNext(failure: ConsoleApiError): void {
    this.failures.push(failure);
  }

  disconnect(): void {
    this.connected = false;
    this.wakeAll();
  }

  reconnect(): void {
    this.connected = true;
  }

  private confirm(offset: number): void {
    for (const update of this.updates) {
      if (update.updateId < this.confirmedBelow || update.updateId >= offset) continue;
      for (const listener of this.ackListeners) listener(update);
    }
    this.confirmedBelow = Math.max(this.confirmedBelow, offset);
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done);
      this.waiters.push(done);
    });
  }

  private wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Console platforms by name: the address a channel's config names, as a URL would. */
const platforms = new Map<string, ConsolePlatform>();

/** Starts a Console platform reachable under `name`. */
export function createPlatform(name: string): ConsolePlatform {
  const platform = new ConsolePlatform();
  platforms.set(name, platform);
  return platform;
}

/** Returns the platform named `name`; throws when none runs under that name. */
export function platformNamed(name: string): ConsolePlatform {
  const platform = platforms.get(name);
  if (!platform) throw new Error(`no Console platform is running under the name ${JSON.stringify(name)}`);
  return platform;
}

export function removePlatform(name: string): void {
  platforms.delete(name);
}
