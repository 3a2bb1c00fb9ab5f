/**
 * Coded errors shared by the host and plugins. Callers match on `code`, never on the
 * message text, and never on `instanceof` across packages: a plugin may bundle its
 * own copy of this module.
 */

export class ArizukoError extends Error {
  /** Stable machine-readable code, `ARZ_ERR_…`. */
  readonly code: string;
  /** HTTP status to answer with when this error reaches a route handler. */
  readonly statusCode: number;

  constructor(code: string, message: string, options: { statusCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ArizukoError";
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
  }
}

/** True for any error carrying an `ARZ_…` code, from whichever copy of the sdk. */
export function isArizukoError(error: unknown): error is ArizukoError {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ARZ_");
}

/**
 * True when `ctx.inbound()` refused a message for good (it is malformed, or outside the
 * channel's prefixes): delivering it again cannot help, so the channel logs it and moves
 * past it. Other failures (a busy store) pass, and the same event is delivered again.
 */
export function isRejectedMessage(error: unknown): boolean {
  return isArizukoError(error) && error.statusCode >= 400 && error.statusCode < 500;
}

/**
 * Outcomes a channel's `send()` reports by throwing. The outbox owns waiting and
 * retries: a channel never sleeps or loops on its own.
 */
export type SendErrorKind = "rate_limited" | "transient" | "permanent" | "unknown";

export class SendError extends ArizukoError {
  readonly kind: SendErrorKind;

  constructor(kind: SendErrorKind, code: string, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = "SendError";
    this.kind = kind;
  }
}

/**
 * The platform asked us to wait; the outbox retries after exactly `retryAfterMs`. With
 * scope `channel` the platform paused the whole bot, so every chat of the channel waits.
 */
export class RateLimited extends SendError {
  /** Milliseconds the platform asked us to wait before the next attempt. */
  readonly retryAfterMs: number;
  readonly scope: "chat" | "channel";

  constructor(retryAfterMs: number, message = `rate limited; retry after ${retryAfterMs} ms`, cause?: unknown, scope: "chat" | "channel" = "chat") {
    super("rate_limited", "ARZ_SEND_RATE_LIMITED", message, cause);
    this.retryAfterMs = Math.max(0, Math.ceil(retryAfterMs));
    this.scope = scope;
  }
}

/** The platform certainly did not take the message (network refused, 5xx before acceptance); retried with backoff. */
export class Transient extends SendError {
  constructor(message: string, cause?: unknown) {
    super("transient", "ARZ_SEND_TRANSIENT", message, cause);
  }
}

/** Retrying cannot help (chat gone, bot blocked, message rejected); the row is marked failed. */
export class Permanent extends SendError {
  constructor(message: string, cause?: unknown) {
    super("permanent", "ARZ_SEND_PERMANENT", message, cause);
  }
}

/**
 * The platform may have accepted the message (a timeout after the request was sent).
 * Retried only by channels that confirm by idempotency key; otherwise sent at most once.
 */
export class Unknown extends SendError {
  constructor(message: string, cause?: unknown) {
    super("unknown", "ARZ_SEND_UNKNOWN", message, cause);
  }
}

/** Reads the send outcome of any thrown value; anything unclassified counts as `unknown`. */
export function sendErrorKind(error: unknown): SendErrorKind {
  const kind = (error as { kind?: unknown } | null)?.kind;
  if (kind === "rate_limited" || kind === "transient" || kind === "permanent" || kind === "unknown") return kind;
  return "unknown";
}

/** A capability the channel did not declare; MCP tools turn this into "unsupported on this channel". */
export class CapabilityUnsupported extends ArizukoError {
  readonly capability: string;
  readonly channel: string;

  constructor(channel: string, capability: string) {
    super(
      "ARZ_ERR_CAPABILITY_UNSUPPORTED",
      `channel ${channel} does not support ${capability}; check its capabilities before calling it`,
      { statusCode: 400 },
    );
    this.channel = channel;
    this.capability = capability;
  }
}

/** The message of any thrown value, for replies and logs. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
