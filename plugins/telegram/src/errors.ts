/**
 * Bot API failures as the outbox's send outcomes. A 429 waits exactly Telegram's
 * `retry_after`, however long; 403 (blocked, kicked) and other 4xx cannot succeed on a
 * retry; 5xx and network failures can.
 */
import { Permanent, RateLimited, Transient } from "@arizuko/sdk";
import { GrammyError, HttpError } from "grammy";

/** True for Telegram's refusal of the HTML it was given, which a plain-text resend avoids. */
export function isParseError(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /can't parse entities/i.test(error.description);
}

export function sendFailure(error: unknown): Error {
  if (error instanceof GrammyError) {
    const what = `Telegram ${error.method}: ${error.error_code} ${error.description}`;
    if (error.error_code === 429) return new RateLimited((error.parameters.retry_after ?? 1) * 1000, what, error);
    if (error.error_code >= 500) return new Transient(what, error);
    return new Permanent(what, error);
  }
  if (error instanceof HttpError) return new Transient(`Telegram unreachable: ${error.message}`, error);
  return new Transient(`Telegram send failed: ${(error as Error).message}`, error);
}
