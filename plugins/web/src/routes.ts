/**
 * The web channel's HTTP API:
 *   POST /web/chats/{chat}/messages   store a message; 202 { id, seq } once committed
 *   GET  /web/chats/{chat}/events     SSE stream, resumable with Last-Event-ID or ?after=
 *   GET  /web/chats/{chat}/messages   history page, ?after=&limit=
 * A chat belongs to the visitor who first used it; others get 404.
 */
import { randomUUID } from "node:crypto";
import { ArizukoError, chatJid, type ChannelContext, type Host, type InboundMessage } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { WebChats } from "./chats.js";
import type { EventHub } from "./events.js";
import { toWebMessage } from "./view.js";
import { visitorOf } from "./visitor.js";

export const CHAT_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
/** A seq, as in `?after=`; empty means from the start. */
const SEQ_PATTERN = "^[0-9]{0,15}$";
/** Most messages one history request returns. */
export const MAX_PAGE = 1000;

const Params = {
  type: "object",
  required: ["chat"],
  properties: { chat: { type: "string", pattern: CHAT_PATTERN } },
};
interface ParamsType {
  chat: string;
}

const PostBody = {
  type: "object",
  additionalProperties: false,
  required: ["text"],
  properties: {
    text: { type: "string", minLength: 1, maxLength: 100_000 },
    /** The client's id for the message; a repeated id stores nothing new. */
    id: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" },
    sender_name: { type: "string", maxLength: 128 },
    topic: { type: "string", maxLength: 128 },
    reply_to: { type: "string", minLength: 1, maxLength: 512 },
    attachments: { type: "array" },
  },
};
interface PostBodyType {
  text: string;
  id?: string;
  sender_name?: string;
  topic?: string;
  reply_to?: string;
  attachments?: unknown[];
}

const EventsQuery = {
  type: "object",
  additionalProperties: false,
  properties: { after: { type: "string", pattern: SEQ_PATTERN } },
};
interface EventsQueryType {
  after?: string;
}

const HistoryQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    after: { type: "string", pattern: SEQ_PATTERN },
    limit: { type: "string", pattern: "^[0-9]{1,4}$" },
  },
};
interface HistoryQueryType {
  after?: string;
  limit?: string;
}

export interface WebRoutesContext {
  host: Host;
  chats: WebChats;
  hub: EventHub;
  /** The channel context once the channel started; posts before that get 503. */
  channel: () => ChannelContext | null;
  instance: string;
}

function notFound(chat: string): ArizukoError {
  return new ArizukoError(
    "ARZ_ERR_CHAT_NOT_FOUND",
    `chat ${chat} not found for this visitor; a web chat belongs to the browser (visitor cookie) that opened it, so send that cookie (curl: -b jar -c jar) or use another chat name`,
    { statusCode: 404 },
  );
}

function badRequest(code: string, message: string): ArizukoError {
  return new ArizukoError(code, message, { statusCode: 400 });
}

export function registerRoutes(context: WebRoutesContext): void {
  const { host, chats, hub, instance } = context;
  const jidOf = (chat: string) => chatJid("web", instance, chat);

  /** The visitor's access to `chat`: claims it if unowned, else 404 unless they own it. */
  const open = (request: FastifyRequest, reply: FastifyReply, chat: string) => {
    const visitor = visitorOf(request, reply);
    if (!chats.claim(chat, visitor)) throw notFound(chat);
    return visitor;
  };

  host.http.register({
    method: "POST",
    url: "/web/chats/:chat/messages",
    schema: { params: Params, body: PostBody },
    handler: async (request, reply) => {
      const { chat } = request.params as ParamsType;
      const body = request.body as PostBodyType;
      if (body.attachments !== undefined && body.attachments.length > 0) {
        throw badRequest("ARZ_ERR_UNSUPPORTED", "attachments are not supported by the web chat yet; send text only");
      }
      const ctx = context.channel();
      if (!ctx) throw new ArizukoError("ARZ_ERR_NOT_READY", "the web channel is still starting; retry shortly", { statusCode: 503 });

      const visitor = open(request, reply, chat);
      const message: InboundMessage = {
        chat: jidOf(chat),
        platformId: body.id ?? `w_${randomUUID()}`,
        verb: body.reply_to ? "reply" : "message",
        sender: `web:${visitor}`,
        text: body.text,
        // A web chat belongs to one visitor's cookie: a one-to-one chat with the bot.
        direct: true,
        ...(body.sender_name !== undefined && { senderName: body.sender_name }),
        ...(body.topic !== undefined && { topic: body.topic }),
        ...(body.reply_to !== undefined && { replyTo: body.reply_to }),
      };
      const result = await ctx.inbound(message);
      return reply.code(202).send({ id: message.platformId, seq: result.seq, duplicate: result.duplicate });
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/events",
    schema: { params: Params, querystring: EventsQuery },
    handler: (request, reply) => {
      const { chat } = request.params as ParamsType;
      const { after } = request.query as EventsQueryType;

      const header = request.headers["last-event-id"];
      const resume = typeof header === "string" && header.trim() !== "" ? header.trim() : after || "0";
      if (!/^[0-9]{1,15}$/.test(resume)) {
        throw badRequest("ARZ_ERR_INVALID_EVENT_ID", `Last-Event-ID must be the seq of an earlier event (1 to 15 digits), got ${JSON.stringify(resume)}`);
      }
      open(request, reply, chat);

      // An id that is not a message of this chat comes from another store or a reset one.
      const afterSeq = Number(resume);
      const known = afterSeq === 0 || host.messages.bySeq(afterSeq)?.chat === jidOf(chat);
      const reset = known ? null : `event id ${afterSeq} is not in this chat's history; sending the history again`;

      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
      hub.open(reply.raw, jidOf(chat), chat, afterSeq, reset);
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/messages",
    schema: { params: Params, querystring: HistoryQuery },
    handler: (request, reply) => {
      const { chat } = request.params as ParamsType;
      const query = request.query as HistoryQueryType;
      open(request, reply, chat);

      const limit = query.limit === undefined ? 100 : Number(query.limit);
      if (limit < 1 || limit > MAX_PAGE) throw badRequest("ARZ_ERR_INVALID_LIMIT", `limit must be from 1 to ${MAX_PAGE}, got ${limit}`);
      const rows = host.messages.list({ chat: jidOf(chat), afterSeq: Number(query.after || 0), limit });
      return reply.send({ messages: rows.map((row) => toWebMessage(row, chat)) });
    },
  });
}
