/** The time source of the scheduler; tests pass a fake one to step through days in milliseconds. */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    // The server keeps the process alive; a pending task alone should not.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
