/**
 * Failed sign-ins counted per client address and per account over a sliding window;
 * past the limit, further attempts are refused with the time to wait, whether or not
 * the password would be right. Kept in memory: a restart forgets the counts.
 */
export interface LimiterSettings {
  maxFailures: number;
  windowMs: number;
}

/** Most keys tracked; the oldest go first, so a flood of addresses cannot grow memory without bound. */
const MAX_KEYS = 100_000;

export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly settings: LimiterSettings) {}

  /** Milliseconds until `keys` may try again, or 0 when none of them is over the limit. */
  waitMs(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.settings.maxFailures) wait = Math.max(wait, recent[0]! + this.settings.windowMs - now);
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.delete(key);
      this.failures.set(key, recent);
      if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** Forgets the account's failures after a successful sign-in; the address's stay. */
  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.settings.windowMs);
  }
}
