/**
 * Chats and topics of the caller:
 *   GET   /web/session                      who the caller is and which groups they may use
 *   GET   /web/chats                        the caller's chats
 *   POST  /web/chats { group, chat? }       a new chat with a group (users mode); 201
 *   GET   /web/chats/{chat}/topics          the chat's topics, "General" first
 *   POST  /web/chats/{chat}/topics { title }            a new topic; 201
 *   PATCH /web/chats/{chat}/topics/{topic} { title }    rename a topic
 */
import { randomBytes } from "node:crypto";
import { ArizukoError, type Host } from "@arizuko/sdk";
import type { Caller, WebAccess } from "./access.js";
import type { WebChat, WebChats } from "./chats.js";
import { CHAT_PATTERN, ChatParams } from "./routes.js";
import { DOCS } from "./route-schemas.js";
import type { ShareLinks } from "./shares.js";
import { TOPIC_PATTERN, type WebTopics } from "./topics.js";

const TitleBody = {
  type: "object",
  additionalProperties: false,
  required: ["title"],
  properties: { title: { type: "string", minLength: 1, maxLength: 100, pattern: "\\S" } },
};
const CreateBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    group: { type: "string", minLength: 1, maxLength: 200 },
    chat: { type: "string", pattern: CHAT_PATTERN },
  },
};
const TopicParams = {
  type: "object",
  required: ["chat", "topic"],
  properties: { chat: { type: "string", pattern: CHAT_PATTERN }, topic: { type: "string", pattern: TOPIC_PATTERN } },
};

export interface ChatRoutesContext {
  host: Host;
  access: WebAccess;
  chats: WebChats;
  topics: WebTopics;
  shares: ShareLinks;
}

const newChatName = () => `c_${randomBytes(9).toString("base64url")}`;

export function registerChatRoutes(context: ChatRoutesContext): void {
  const { host, access, chats, topics, shares } = context;

  const groupsOf = (caller: Caller | null): Array<{ folder: string; name: string }> => {
    if (!caller) return [];
    const folders = caller.kind === "user" ? host.users.groupsOf(caller.id) : [];
    return folders.map((folder) => ({ folder, name: host.groups.get(folder)?.name ?? folder }));
  };
  const chatView = (chat: WebChat) => ({
    chat: chat.chat,
    group: chat.group,
    group_name: chat.group ? (host.groups.get(chat.group)?.name ?? chat.group) : null,
    shared: chat.shareLink !== null,
    created_at: chat.createdAt,
  });
  /** The caller's chats they may still use. */
  const usable = (caller: Caller) =>
    chats.ofOwner(caller.id).filter((chat) => {
      if (!access.usersMode()) return chat.group === null;
      if (caller.kind === "user") return chat.group !== null && host.users.mayUse(caller.id, chat.group);
      return chat.shareLink !== null && shares.live(chat.shareLink);
    });

  host.http.register({
    method: "GET",
    url: "/web/session",
    schema: DOCS.session,
    handler: async (request, reply) => {
      // An expired or revoked sign-in is a signed-out caller here, so the page offers sign-in.
      const caller = await access.sessionCaller(request, reply);
      return reply.send({
        access: access.usersMode() ? "users" : "open",
        user: caller?.kind === "user" ? caller.user : null,
        visitor: caller?.kind === "visitor",
        groups: groupsOf(caller),
      });
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats",
    schema: DOCS.chats,
    handler: async (request, reply) => {
      const caller = await access.caller(request, reply);
      return reply.send({ chats: usable(caller).map(chatView) });
    },
  });

  host.http.register({
    method: "POST",
    url: "/web/chats",
    schema: { ...DOCS.createChat, body: CreateBody },
    handler: async (request, reply) => {
      const caller = await access.caller(request, reply);
      const body = (request.body ?? {}) as { group?: string; chat?: string };
      const name = body.chat ?? newChatName();

      if (!access.usersMode()) {
        if (body.group !== undefined) throw new ArizukoError("ARZ_ERR_INVALID_REQUEST", "the web chat is open to visitors, so the route table picks the group; leave out group", { statusCode: 400 });
        const chat = chats.create(name, caller.id);
        if (chat.owner !== caller.id) throw taken(name);
        return reply.code(201).send(chatView(chat));
      }

      if (caller.kind !== "user") throw new ArizukoError("ARZ_ERR_FORBIDDEN", "visitors use the chat their share link opened; sign in to start other chats", { statusCode: 403 });
      if (body.group === undefined) throw new ArizukoError("ARZ_ERR_INVALID_REQUEST", "body must have group: one of the folders GET /web/session lists", { statusCode: 400 });
      if (!host.groups.exists(body.group)) {
        throw new ArizukoError("ARZ_ERR_GROUP_NOT_FOUND", `no group ${body.group}; GET /web/session lists the groups you may use`, { statusCode: 404 });
      }
      if (!host.users.mayUse(caller.id, body.group)) {
        throw new ArizukoError("ARZ_ERR_FORBIDDEN", `you may not use group ${body.group}; an operator can allow it with \`arizuko user join ${caller.user.username} ${body.group}\``, { statusCode: 403 });
      }
      const chat = chats.create(name, caller.id, body.group);
      if (chat.owner !== caller.id || chat.group !== body.group) throw taken(name);
      return reply.code(201).send(chatView(chat));
    },
  });

  host.http.register({
    method: "GET",
    url: "/web/chats/:chat/topics",
    schema: { ...DOCS.topics, params: ChatParams },
    handler: async (request, reply) => {
      const { chat: name } = request.params as { chat: string };
      await access.chat(request, reply, name);
      return reply.send({ topics: topics.list(name).map((topic) => ({ topic: topic.topic, title: topic.title, created_at: topic.createdAt })) });
    },
  });

  host.http.register({
    method: "POST",
    url: "/web/chats/:chat/topics",
    schema: { ...DOCS.createTopic, params: ChatParams, body: TitleBody },
    handler: async (request, reply) => {
      const { chat: name } = request.params as { chat: string };
      await access.chat(request, reply, name);
      const topic = topics.create(name, (request.body as { title: string }).title.trim());
      return reply.code(201).send({ topic: topic.topic, title: topic.title, created_at: topic.createdAt });
    },
  });

  host.http.register({
    method: "PATCH",
    url: "/web/chats/:chat/topics/:topic",
    schema: { ...DOCS.renameTopic, params: TopicParams, body: TitleBody },
    handler: async (request, reply) => {
      const { chat: name, topic: id } = request.params as { chat: string; topic: string };
      await access.chat(request, reply, name);
      // The main thread has the empty id; its URL names it `main`.
      const topic = topics.rename(name, id === "main" ? "" : id, (request.body as { title: string }).title.trim());
      if (!topic) throw new ArizukoError("ARZ_ERR_TOPIC_NOT_FOUND", `chat ${name} has no topic ${id}; list them with GET /web/chats/${name}/topics`, { statusCode: 404 });
      return reply.send({ topic: topic.topic, title: topic.title, created_at: topic.createdAt });
    },
  });
}

function taken(name: string): ArizukoError {
  return new ArizukoError("ARZ_ERR_CHAT_TAKEN", `the chat name ${name} is taken; leave out chat to get a fresh name`, { statusCode: 409 });
}
