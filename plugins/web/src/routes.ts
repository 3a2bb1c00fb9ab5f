/**
 * The web channel's chat API. Every `/web/chats/{chat}/…` call goes through
 * `WebAccess.chat`, so no endpoint serves a chat to anyone but its owner.
 *
 *   POST /web/chats/{chat}/messages     store a message; 202 { id, seq } once committed
 *   GET  /web/chats/{chat}/events       SSE stream, resumable with Last-Event-ID or ?after=
 *   GET  /web/chats/{chat}/messages     history page, ?after=&limit=
 *   POST /web/chats/{chat}/files        upload { name, mime, data (base64) }; 201 the file
 *   GET  /web/chats/{chat}/files/{id}   the file's bytes
 */
import { randomUUID } from "node:crypto";
import { ArizukoError, chatJid, type ChannelContext, type Host, type InboundMessage } from "@arizuko/sdk";
import type { WebAccess } from "./access.js";
import type { EventHub } from "./events.js";
import { FILE_ID_PATTERN, isInline, type WebFiles } from "./files.js";
import type { WindowLimiter } from "./rate-limit.js";
import type { WebTopics } from "./topics.js";
import { DOCS } from "./route-schemas.js";
import { toWebMessage } from "./view.js";

export const CHAT_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
/** A seq, as in `?after=`; empty means from the start. */
const SEQ_PATTERN = "^[0-9]{0,15}$";
/** Most messages one history request returns. */
export const MAX_PAGE = 1000;
/** Most files one message carries. */
const MAX_ATTACHMENTS = 10;

export const ChatParams = {
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
    text: { type: "string", maxLength: 100_000 },
    /** The client's id for the message; a repeated id stores nothing new. */
    id: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" },
    sender_name: { type: "string", maxLength: 128 },
    topic: { type: "string", maxLength: 128 },
    reply_to: { type: "string", minLength: 1, maxLength: 512 },
    /** Ids of files uploaded to this chat (POST …/files). */
    attachments: { type: "array", maxItems: MAX_ATTACHMENTS, items: { type: "string", pattern: FILE_ID_PATTERN } },
  },
};
interface PostBodyType {
  text: string;
  id?: string;
  sender_name?: string;
  topic?: string;
  reply_to?: string;
  attachments?: string[];
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

const UploadBody = {
  type: "object",
  additionalProperties: false,
  required: ["name", "data"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 1000 },
    mime: { type: "string", maxLength: 200 },
    /** The file's bytes, base64-encoded. */
    data: { type: "string", minLength: 1, pattern: "^[A-Za-z0-9+/]*={0,2}$" },
  },
};
interface UploadBodyType {
  name: string;
  mime?: string;
  data: string;
}

const FileParams = {
  type: "object",
  required: ["chat", "id"],
  properties: { chat: { type: "string", pattern: CHAT_PATTERN }, id: { type: "string", pattern: FILE_ID_PATTERN } },
};

export interface WebRoutesContext {
  host: Host;
  access: WebAccess;
  hub: EventHub;
  topics: WebTopics;
  files: WebFiles;
  /** Posts of share-link visitors, per IP address. */
  visitorPosts: WindowLimiter;
  /** The channel context once the channel started; posts before that get 503. */
  channel: () => ChannelContext | null;
  instance: string;
  maxUploadBytes: number;
}

function badRequest(code: string, message: string): ArizukoError {
  return new ArizukoError(code, message, { statusCode: 400 });
}

export function tooMany(what: string, retryAfterS: number): ArizukoError {
  return new ArizukoError("ARZ_ERR_RATE_LIMITED", `too many ${what} from this address; try again in ${retryAfterS} s`, { statusCode: 429 });
}

export function registerRoutes(context: WebRoutesContext): void {
  const { host, access, hub, topics, files, instance } = context;
  const jidOf = (chat: string) => chatJid("web", instance, chat);

  host.http.register({
    method: "POST",
    url: "/web/chats/:chat/messages",
    schema: { ...DOCS.postMessage, params: ChatParams, body: PostBody },
    handler: async (request, reply) => {
      const { chat: name } = request.params as ParamsType;
      const body = request.body as PostBodyType;
      const attachmentIds = body.attachments ?? [];
      if (body.text.trim() === "" && attachmentIds.length === 0) {
        throw badRequest("ARZ_ERR_INVALID_REQUEST", "body/text must not be empty unless the message carries attachments");
      }
      const ctx = context.channel();
      if (!ctx) throw new ArizukoError("ARZ_ERR_NOT_READY", "the web channel is still starting; retry shortly", { statusCode: 503 });

      // Checked before the chat is claimed, so a bad post leaves nothing behind. File ids are random, so this reveals nothing.
      const attachments = attachmentIds.map((id) => {
        const file = files.get(id);
        if (!file || file.chat !== name) throw badRequest("ARZ_ERR_UNKNOWN_FILE", `file ${id} was not uploaded to chat ${name}; upload it with POST /web/chats/${name}/files first`);
        return files.attachment(file);
      });
      const { caller } = await access.chat(request, reply, name);
      if (caller.kind === "visitor" && access.usersMode()) {
        const waitS = context.visitorPosts.take(request.ip);
        if (waitS > 0) throw tooMany("messages", waitS);
      }

      const sender = caller.kind === "user" ? host.users.webSender(caller.id) : `web:${caller.id}`;
      const message: InboundMessage = {
        chat: jidOf(name),
        platformId: body.id ?? `w_${randomUUID()}`,
        verb: body.reply_to ? "reply" : "message",
        sender,
        text: body.text,
        // A web chat belongs to one person: a one-to-one chat with the bot.
        direct: true,
        ...(caller.kind === "user" ? { senderName: caller.user.username } : body.sender_name !== undefined && { senderName: body.sender_name }),
        ...(body.topic !== undefined && { topic: body.topic }),
        ...(body.reply_to !== undefined && { replyTo: body.reply_to }),
        ...(attachments.length > 0 && { attachments }),
      };
      const result = await ctx.inbound(message);
      if (body.topic) topics.remember(name, body.topic);
      return reply.code(202).send({ id: message.platformId, seq: result.seq, duplicate: result.duplicate });
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/events",
    schema: { ...DOCS.events, params: ChatParams, querystring: EventsQuery },
    // The handler reads Last-Event-ID itself and rejects a bad one with ARZ_ERR_INVALID_EVENT_ID.
    documentOnly: ["headers"],
    handler: async (request, reply) => {
      const { chat: name } = request.params as ParamsType;
      const { after } = request.query as EventsQueryType;

      const header = request.headers["last-event-id"];
      const resume = typeof header === "string" && header.trim() !== "" ? header.trim() : after || "0";
      if (!/^[0-9]{1,15}$/.test(resume)) {
        throw badRequest("ARZ_ERR_INVALID_EVENT_ID", `Last-Event-ID must be the seq of an earlier event (1 to 15 digits), got ${JSON.stringify(resume)}`);
      }
      const { caller, chat } = await access.chat(request, reply, name);

      // An id that is not a message of this chat comes from another store or a reset one.
      const afterSeq = Number(resume);
      const known = afterSeq === 0 || host.messages.bySeq(afterSeq)?.chat === jidOf(name);
      const reset = known ? null : `event id ${afterSeq} is not in this chat's history; sending the history again`;

      reply.hijack();
      for (const [header, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(header, value);
      hub.open(reply.raw, jidOf(name), name, afterSeq, reset, () => access.stillAllowed(caller, chat));
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/messages",
    schema: { ...DOCS.history, params: ChatParams, querystring: HistoryQuery },
    handler: async (request, reply) => {
      const { chat: name } = request.params as ParamsType;
      const query = request.query as HistoryQueryType;
      await access.chat(request, reply, name);

      const limit = query.limit === undefined ? 100 : Number(query.limit);
      if (limit < 1 || limit > MAX_PAGE) throw badRequest("ARZ_ERR_INVALID_LIMIT", `limit must be from 1 to ${MAX_PAGE}, got ${limit}`);
      const rows = host.messages.list({ chat: jidOf(name), afterSeq: Number(query.after || 0), limit });
      return reply.send({ messages: rows.map((row) => toWebMessage(row, name)) });
    },
  });

  host.http.register({
    method: "POST",
    url: "/web/chats/:chat/files",
    schema: { ...DOCS.upload, params: ChatParams, body: UploadBody },
    // Base64 is 4/3 of the bytes, plus room for the name and the JSON around it.
    bodyLimit: Math.ceil((context.maxUploadBytes * 4) / 3) + 4096,
    // A body over that limit is refused before it is read whole; the message names the file limit, not the encoded one.
    errorHandler: (error, _request, reply) => {
      if ((error as { code?: string }).code !== "FST_ERR_CTP_BODY_TOO_LARGE") throw error;
      return reply.code(413).send({ error: { code: "ARZ_ERR_FILE_TOO_LARGE", message: `the file is larger than the upload limit of ${context.maxUploadBytes} bytes (web config maxUploadBytes)` } });
    },
    handler: async (request, reply) => {
      const { chat: name } = request.params as ParamsType;
      const body = request.body as UploadBodyType;
      await access.chat(request, reply, name);

      const data = Buffer.from(body.data, "base64");
      if (data.length > context.maxUploadBytes) {
        throw new ArizukoError("ARZ_ERR_FILE_TOO_LARGE", `the file has ${data.length} bytes; the limit is ${context.maxUploadBytes} (web config maxUploadBytes)`, { statusCode: 413 });
      }
      const file = files.save(name, body.name, body.mime ?? "application/octet-stream", data);
      request.log.info({ chat: jidOf(name), file: file.id, size: file.size, mime: file.mime }, "file uploaded");
      return reply.code(201).send({ id: file.id, name: file.name, mime: file.mime, size: file.size, kind: files.attachment(file).kind });
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/files/:id",
    schema: { ...DOCS.download, params: FileParams },
    handler: async (request, reply) => {
      const { chat: name, id } = request.params as ParamsType & { id: string };
      await access.chat(request, reply, name);
      const file = files.get(id);
      if (!file || file.chat !== name || !files.exists(file)) {
        throw new ArizukoError("ARZ_ERR_FILE_NOT_FOUND", `chat ${name} has no file ${id}`, { statusCode: 404 });
      }
      const disposition = isInline(file.mime) ? "inline" : "attachment";
      return reply
        .headers({
          "content-type": file.mime,
          "content-disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
          "x-content-type-options": "nosniff",
          // Even a file a browser would render runs nothing and loads nothing.
          "content-security-policy": "default-src 'none'; sandbox",
          "cache-control": "private, max-age=3600",
        })
        .send(files.read(file));
    },
  });
}
