/**
 * A fixed-window counter per key (an IP address): at most `limit` events per `windowMs`.
 * Share links use it, so an anonymous visitor cannot open chats or post without bound.
 * TODO: counts live in memory, so a restart resets them. That is fine for one process.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts one event for `key`; returns the seconds to wait when it is over the limit, else 0. */
  take(key: string, now = Date.now()): number {
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) this.windows.set(key, (window = { start: now, count: 0 }));
    if (window.count >= this.limit) return Math.ceil((window.start + this.windowMs - now) / 1000);
    window.count += 1;
    return 0;
  }

  /** Drops finished windows once the map grows, so addresses seen once do not pile up. */
  private sweep(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
