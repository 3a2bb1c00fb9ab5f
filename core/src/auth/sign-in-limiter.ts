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

  /** Counts an attempt for each key; forgive it if it succeeds. */
  attempt(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.delete(key);
      this.failures.set(key, recent);
      if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /**
   * Forgets the attempt counted at `at` for `keys` after it succeeded (attempts are
   * counted before the password is checked, so that parallel attempts cannot all pass).
   */
  forgive(keys: string[], at: number): void {
    for (const key of keys) {
      const recent = this.failures.get(key);
      const index = recent?.lastIndexOf(at) ?? -1;
      if (index >= 0) recent!.splice(index, 1);
      if (recent?.length === 0) this.failures.delete(key);
    }
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.settings.windowMs);
  }
}
