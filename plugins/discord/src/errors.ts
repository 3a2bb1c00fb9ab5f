/**
 * discord.js failures as the outbox's send outcomes. The client is built with
 * `rejectOnRateLimit`, so a 429 arrives as a RateLimitError carrying Discord's wait,
 * which the outbox honours. Discord's 4xx responses cannot succeed on a retry; 5xx
 * responses (after discord.js's own retries) and connection failures can. A request
 * that timed out may have reached Discord, so its outcome is unknown.
 */
import { Permanent, RateLimited, Transient, Unknown } from "@arizuko/sdk";
import { DiscordAPIError, HTTPError, RateLimitError } from "discord.js";

export function sendFailure(error: unknown): Error {
  if (error instanceof RateLimitError) {
    return new RateLimited(error.retryAfter, `Discord rate limit on ${error.method} ${error.route}; retry after ${error.retryAfter} ms`, error, error.global ? "channel" : "chat");
  }
  if (error instanceof DiscordAPIError) {
    const description = `Discord ${error.method} ${error.url.replace(/^.*\/api\/v\d+/, "")}: ${error.status} ${error.message} (code ${error.code})`;
    if (error.status >= 500) return new Transient(description, error);
    return new Permanent(description, error);
  }
  if (error instanceof HTTPError) return new Transient(`Discord responded ${error.status} ${error.message}`, error);
  if ((error as Error).name === "AbortError") return new Unknown("Discord request timed out; the message may have been sent", error);
  return new Transient(`Discord send failed: ${(error as Error).message}`, error);
}
