/**
 * Baileys failures as the outbox's send outcomes. Baileys throws Boom errors whose
 * `output.statusCode` gives the reason. 428 and 408 mean the socket was closed or lost
 * before the stanza went out, so nothing was sent, and 4xx responses cannot succeed on a
 * retry. WhatsApp gives no wait with its rate limit (429), so the outbox waits a fixed
 * time. A send that resolved can still fail later; that arrives as a status update and
 * is logged.
 */
import { Permanent, RateLimited, Transient, Unknown } from "@arizuko/sdk";

/** How long to wait after WhatsApp's rate limit, which names no time of its own. */
export const RATE_LIMIT_WAIT_MS = 5000;

/** Returns the HTTP-like status of a Baileys error, or null. */
export function statusOf(error: unknown): number | null {
  const status = (error as { output?: { statusCode?: unknown } } | null)?.output?.statusCode;
  return typeof status === "number" ? status : null;
}

export function sendFailure(error: unknown): Error {
  const status = statusOf(error);
  const text = `WhatsApp send failed: ${(error as Error).message ?? String(error)}${status === null ? "" : ` (${status})`}`;
  if (status === 429) return new RateLimited(RATE_LIMIT_WAIT_MS, `${text}; retry after ${RATE_LIMIT_WAIT_MS} ms`, error);
  if (status === 428 || status === 408 || status === 503 || status === 515) return new Transient(text, error);
  if (status !== null && status >= 400 && status < 500) return new Permanent(text, error);
  // A programming error in building the message: no retry can fix it, and nothing was sent.
  if (error instanceof TypeError) return new Permanent(text, error);
  return new Unknown(text, error);
}
