/**
 * A clock whose time moves only when a test moves it. Timers fire in due order as time
 * passes them, each at its own due time, so code that arms a new timer from inside a
 * timer sees the time it expects; a timer set for now fires on the next event-loop turn.
 */
import type { Clock } from "../../src/clock.js";

interface Timer {
  at: number;
  fn: () => void;
  id: number;
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private nextId = 0;
  /** How many timers were ever set: the scheduler sets one per change, never a periodic one. */
  armed = 0;

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + Math.max(0, ms), fn, id: this.nextId++ };
    this.timers.push(timer);
    this.armed += 1;
    // A timer due now fires on the next turn of the event loop, as a real one would.
    if (timer.at <= this.time) setImmediate(() => this.set(this.time));
    return () => {
      this.timers = this.timers.filter((candidate) => candidate !== timer);
    };
  }

  /** Timers waiting, for checks that nothing polls. */
  get pending(): number {
    return this.timers.length;
  }

  /** The earliest timer's due time, or null. */
  get nextAt(): number | null {
    return this.timers.length === 0 ? null : Math.min(...this.timers.map((timer) => timer.at));
  }

  /** Moves to `time`, firing every timer due on the way, each at its due time. */
  set(time: number): void {
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= time).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = Math.max(this.time, time);
  }

  advance(ms: number): void {
    this.set(this.time + ms);
  }
}
