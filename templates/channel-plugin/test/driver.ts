/**
 * The driver the conformance kit uses to play the Console platform: it turns the kit's
 * events into Console updates and reports what the channel sent.
 */
import { sendOutcomeOf, type PlatformDriver, type PlatformEvent } from "@arizuko/sdk/testing";
import { ConsoleApiError, createPlatform, removePlatform, type ConsoleUpdate } from "../src/platform.js";

export const CHAT = "room1";
let platforms = 0;

/** Builds the Console update for a kit event, in the conformance chat. */
function toUpdate(event: PlatformEvent): Omit<ConsoleUpdate, "updateId"> {
  const from = event.sender.slice("console:".length);
  switch (event.type) {
    case "message":
      return {
        message: {
          id: event.id,
          chat: CHAT,
          from,
          text: event.text,
          ...(event.mention && { mentionsBot: true }),
          ...(event.replyTo !== undefined && { replyToId: event.replyTo }),
          ...(event.topic !== undefined && { threadId: event.topic }),
        },
      };
    case "edit":
      return { edit: { messageId: event.id, chat: CHAT, from, text: event.text, revision: event.revision } };
    case "reaction":
      return { reaction: { messageId: event.id, chat: CHAT, from, emoji: event.emoji } };
  }
}

export function consoleDriver(): PlatformDriver {
  const name = `conformance-${++platforms}`;
  const platform = createPlatform(name);
  const events = new Map<number, PlatformEvent>();
  return {
    config: { platform: name },
    deliver(event) {
      events.set(platform.post(toUpdate(event)), event);
    },
    onAck(listener) {
      platform.onConfirm((update) => listener(events.get(update.updateId)!));
    },
    sendAttempts: () =>
      platform.sent.map((record) => ({
        chat: `console:local/${record.chat}`,
        text: record.text,
        replyTo: record.replyToId ?? null,
        topic: record.threadId ?? "",
        at: record.at,
        outcome: sendOutcomeOf(record.status),
      })),
    failNextSend(failure) {
      if (failure.kind === "rate_limited") platform.failNext(new ConsoleApiError(429, "too many requests", failure.retryAfterMs));
      else if (failure.kind === "transient") platform.failNext(new ConsoleApiError(502, "bad gateway"));
      else platform.failNext(new ConsoleApiError(403, "the bot was removed from this chat"));
    },
    disconnect: () => platform.disconnect(),
    reconnect: () => platform.reconnect(),
    close: () => removePlatform(name),
  };
}

