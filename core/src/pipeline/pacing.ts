/**
 * Outbound pacing: keeps each channel within the send rates it declared
 * (`capabilities.rateLimits`), per chat and for the whole channel, so the platform
 * rarely has to return 429. Sliding windows keep recent send times, and a send that
 * would break one waits until the window has room. A platform's response that pauses the whole
 * channel (`RateLimited` with scope `channel`) holds every chat of it until then.
 */
import type { RateLimit, RateLimits } from "@arizuko/sdk";

/** A window of send times, oldest first, holding at most `limit.messages` entries. */
class Window {
  readonly times: number[] = [];

  /** Earliest time a send keeps the window within `limit`. */
  nextAllowed(limit: RateLimit, now: number): number {
    this.prune(limit, now);
    if (this.times.length < limit.messages) return now;
    return this.times[this.times.length - limit.messages]! + limit.perMs;
  }

  record(limit: RateLimit, at: number): void {
    this.times.push(at);
    if (this.times.length > limit.messages) this.times.splice(0, this.times.length - limit.messages);
  }

  /** True when nothing in the window still counts at `now`. */
  idle(limit: RateLimit, now: number): boolean {
    this.prune(limit, now);
    return this.times.length === 0;
  }

  private prune(limit: RateLimit, now: number): void {
    while (this.times.length > 0 && this.times[0]! <= now - limit.perMs) this.times.shift();
  }
}

export class Pacing {
  /** Per channel, its chats in order of last use, so idle chats are found at the front and dropped. */
  private readonly chats = new Map<string, Map<string, Window>>();
  private readonly channels = new Map<string, Window>();
  private readonly paused = new Map<string, number>();

  /** Earliest time the next chunk to `chat` through `channel` may be sent. */
  nextAllowed(channel: string, chat: string, limits: RateLimits | undefined, now: number): number {
    let at = Math.max(now, this.paused.get(channel) ?? 0);
    if (limits?.perChat) at = Math.max(at, this.chats.get(channel)?.get(chat)?.nextAllowed(limits.perChat, now) ?? now);
    if (limits?.perChannel) at = Math.max(at, this.channels.get(channel)?.nextAllowed(limits.perChannel, now) ?? now);
    return at;
  }

  /** Counts a send that reached the platform (or was refused by its rate limit). */
  record(channel: string, chat: string, limits: RateLimits | undefined, at: number): void {
    if (limits?.perChat) {
      const chats = this.chats.get(channel) ?? new Map<string, Window>();
      this.chats.set(channel, chats);
      const window = chats.get(chat) ?? new Window();
      chats.delete(chat);
      chats.set(chat, window);
      window.record(limits.perChat, at);
      sweep(chats, limits.perChat, at);
    }
    if (limits?.perChannel) {
      const window = this.channels.get(channel) ?? new Window();
      this.channels.set(channel, window);
      window.record(limits.perChannel, at);
    }
  }

  /** Holds every chat of `channel` until `until` (the platform paused the whole bot). */
  pause(channel: string, until: number): void {
    this.paused.set(channel, Math.max(until, this.paused.get(channel) ?? 0));
  }

  /** Drops what no longer counts at `now`, then returns how many chats are still tracked. */
  trackedChats(limitsOf: (channel: string) => RateLimits | undefined, now: number): number {
    let count = 0;
    for (const [channel, chats] of this.chats) {
      const limit = limitsOf(channel)?.perChat;
      if (limit) sweep(chats, limit, now);
      else chats.clear();
      if (chats.size === 0) this.chats.delete(channel);
      count += chats.size;
    }
    for (const [channel, until] of this.paused) if (until <= now) this.paused.delete(channel);
    return count;
  }
}

/** Drops chats whose window is empty, from the least recently used on; stops at the first busy one. */
function sweep(chats: Map<string, Window>, limit: RateLimit, now: number): void {
  for (const [chat, window] of chats) {
    if (!window.idle(limit, now)) return;
    chats.delete(chat);
  }
}
