/**
 * What each REST route of the fake Discord does: it checks the request as Discord does,
 * changes the fake's state and returns Discord's response. The HTTP side (auth, bodies,
 * injected failures) is in fake-discord-rest.ts.
 */
import { ChannelType, PermissionFlagsBits, type APIEmbed, type APIMessage } from "discord.js";
import type { FakeChannel, FakeDiscord } from "./fake-discord.js";
import type { MessageFields } from "./fake-discord-messages.js";
import { BOT_PERMISSIONS } from "./fake-discord-model.js";
import {
  discordError,
  invalidFormBody,
  missingPermissions,
  unknownChannel,
  unknownMessage,
  type RestCall,
  type RestReply,
  type RestRoute,
  type RouteHandler,
} from "./fake-discord-rest.js";

/**
 * Discord's maximum message content length for bots.
 * NOTE: the fake counts Unicode code points. Whether Discord counts code points or UTF-16
 * units was not checked, so text near the limit with astral characters may be judged differently.
 */
export const MAX_CONTENT_LENGTH = 2000;

/** Page size bounds of GET /channels/:id/messages, and its default. */
const HISTORY_LIMIT = { min: 1, max: 100, default: 50 };

const ok = (body: unknown): RestReply => ({ status: 200, body });
const noContent = (): RestReply => ({ status: 204 });

export function routeHandlers(fake: FakeDiscord): Record<RestRoute, RouteHandler> {
  /** Runs `handle` with the call's channel, or returns Unknown Channel. */
  const inChannel = (handle: (channel: FakeChannel, call: RestCall) => RestReply) => (call: RestCall) => {
    const channel = fake.findChannel(call.params.channelId!);
    return channel ? handle(channel, call) : unknownChannel();
  };

  /** Runs `handle` with the call's message, or returns Unknown Channel or Unknown Message. */
  const onMessage = (handle: (message: APIMessage, channel: FakeChannel, call: RestCall) => RestReply) =>
    inChannel((channel, call) => {
      const message = fake.messages.find(channel.id, call.params.messageId!);
      return message ? handle(message, channel, call) : unknownMessage();
    });

  return {
    "GET /gateway/bot": () =>
      ok({
        url: fake.gatewayUrl,
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: Math.max(0, 1000 - fake.gateway.identifies.length),
          reset_after: 86_400_000,
          max_concurrency: 1,
        },
      }),

    "GET /users/@me": () => ok(fake.bot),

    "GET /applications/@me": () => ok(fake.applicationData()),

    "POST /users/@me/channels": (call) => {
      const recipient = fake.users.get(String(bodyOf(call).recipient_id));
      if (!recipient) return discordError(404, 10013, "Unknown User");
      return ok(fake.dmChannelWith(recipient));
    },

    "GET /channels/:channelId": inChannel((channel) => ok(channel)),

    "GET /channels/:channelId/messages": inChannel((channel, call) => ok(history(fake.messages.inChannel(channel.id), call.query))),

    "POST /channels/:channelId/messages": inChannel((channel, call) => {
      const checked = checkNewMessage(fake, channel, call);
      if ("status" in checked) return checked;
      return ok(fake.messages.publish(channel, fake.bot, checked));
    }),

    "GET /channels/:channelId/messages/:messageId": onMessage((message) => ok(message)),

    "PATCH /channels/:channelId/messages/:messageId": onMessage((message, _channel, call) => {
      if (message.author.id !== fake.bot.id) return discordError(403, 50005, "Cannot edit a message authored by another user");
      const body = bodyOf(call);
      const tooLong = checkContentLength(body.content);
      if (tooLong) return tooLong;
      return ok(
        fake.messages.update(message, {
          ...(typeof body.content === "string" && { content: body.content }),
          ...(Array.isArray(body.embeds) && { embeds: body.embeds as APIEmbed[] }),
        }),
      );
    }),

    "DELETE /channels/:channelId/messages/:messageId": onMessage((message, channel) => {
      // Deleting another user's message needs Manage Messages, which the bot's role lacks, and in a DM it is never allowed.
      const mayDeleteOthers = channel.type !== ChannelType.DM && (BOT_PERMISSIONS & PermissionFlagsBits.ManageMessages) !== 0n;
      if (message.author.id !== fake.bot.id && !mayDeleteOthers) return missingPermissions();
      fake.messages.delete(message);
      return noContent();
    }),

    "PUT /channels/:channelId/messages/:messageId/reactions/:emoji/@me": onMessage((message, _channel, call) => {
      // The path names a Unicode emoji itself, or a custom emoji as name:id, or a:name:id when animated.
      const parts = call.params.emoji!.split(":");
      const [name, id] = parts.length === 3 ? parts.slice(1) : parts;
      if (!name) return discordError(400, 10014, "Unknown Emoji");
      fake.messages.addBotReaction(message, { id: id ?? null, name });
      return noContent();
    }),

    "POST /channels/:channelId/typing": inChannel(() => noContent()),
  };
}

function bodyOf(call: RestCall): Record<string, unknown> {
  return typeof call.body === "object" && call.body !== null ? (call.body as Record<string, unknown>) : {};
}

function checkContentLength(content: unknown): RestReply | null {
  if (typeof content !== "string" || [...content].length <= MAX_CONTENT_LENGTH) return null;
  return invalidFormBody("content", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`);
}

/** Checks a Create Message request as Discord does and returns the message's fields, or the error response. */
function checkNewMessage(fake: FakeDiscord, channel: FakeChannel, call: RestCall): MessageFields | RestReply {
  const body = bodyOf(call);
  const content = typeof body.content === "string" ? body.content : "";
  const embeds = Array.isArray(body.embeds) ? (body.embeds as APIEmbed[]) : [];
  const hasStickers = Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0;
  if (content === "" && embeds.length === 0 && call.files.length === 0 && !hasStickers && !body.poll) {
    return discordError(400, 50006, "Cannot send an empty message");
  }
  const tooLong = checkContentLength(content);
  if (tooLong) return tooLong;

  const reference = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
  // With fail_if_not_exists false, Discord sends a reply to an unknown message as a plain message.
  const replyTo = reference?.message_id && fake.messages.find(channel.id, reference.message_id) ? reference.message_id : undefined;
  if (reference?.message_id && replyTo === undefined && reference.fail_if_not_exists !== false) {
    // NOTE: the inner error code is not checked against Discord; status 400 and code 50035 are its usual form errors.
    return invalidFormBody("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
  }

  // The n-th uploaded file is described by the `attachments` entry with id n, when discord.js sends one.
  const described = Array.isArray(body.attachments) ? (body.attachments as Array<{ id?: unknown; filename?: string }>) : [];
  const attachments = call.files.map((file, index) => ({
    filename: described.find((entry) => String(entry.id) === String(index))?.filename ?? file.filename,
    data: file.data,
    contentType: file.contentType,
  }));
  return {
    content,
    embeds,
    attachments,
    ...(replyTo && { replyTo }),
    ...((typeof body.nonce === "string" || typeof body.nonce === "number") && { nonce: body.nonce }),
  };
}

/**
 * Returns a page of channel history as Discord does, newest first. With `after`, the page
 * is the `limit` messages right after that id, the order discord.py's history pages on.
 * With `before`, it is the `limit` messages right before that id, and with neither the latest.
 * NOTE: an out-of-range limit is clamped to 1..100 here. How Discord responds to one was not checked.
 */
function history(messages: APIMessage[], query: Record<string, string>): APIMessage[] {
  const requested = Number(query.limit ?? HISTORY_LIMIT.default);
  const limit = Math.min(HISTORY_LIMIT.max, Math.max(HISTORY_LIMIT.min, Number.isFinite(requested) ? requested : HISTORY_LIMIT.default));
  const ascending = [...messages].sort((a, b) => compareIds(a.id, b.id));

  if (query.after !== undefined) {
    const after = query.after;
    return ascending.filter((message) => compareIds(message.id, after) > 0).slice(0, limit).reverse();
  }
  const before = query.before;
  const older = before === undefined ? ascending : ascending.filter((message) => compareIds(message.id, before) < 0);
  return older.slice(-limit).reverse();
}

function compareIds(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  if (difference > 0n) return 1;
  if (difference < 0n) return -1;
  return 0;
}
