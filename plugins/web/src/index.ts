/**
 * web: the web chat as a channel. Owns the `web:<instance>/` JID prefix, the
 * `/web/…` API with its SSE streams, share links, and the chat page at `/`.
 *
 * Callers are visitors (a cookie per browser) while the chat is open, and signed-in
 * users or share-link visitors once sign-in is required (see access.ts). Chats of users
 * and share-link visitors are bound to a group, and a routing tap sends them there.
 */
import { ArizukoError, chatPrefix, definePlugin, HOST_API_VERSION, type ChannelContext, type JsonSchema } from "@arizuko/sdk";
import { WebAccess, type AccessMode } from "./access.js";
import { registerChatRoutes } from "./chat-routes.js";
import { WebChats } from "./chats.js";
import { EventHub } from "./events.js";
import { WebFiles } from "./files.js";
import { registerPage } from "./page.js";
import { WindowLimiter } from "./rate-limit.js";
import { registerRoutes } from "./routes.js";
import { registerShareRoutes, webCommand } from "./share-routes.js";
import { ShareLinks } from "./shares.js";
import { WebTopics } from "./topics.js";

export interface WebConfig {
  /** Account part of web chat JIDs: `web:<instance>/<chat>`. */
  instance: string;
  /** Longest reply chunk shown as one message, in UTF-16 code units. */
  maxTextLength: number;
  /** Serve the chat page at `/`. */
  page: boolean;
  /** `open`: visitors by cookie; `users`: sign-in or a share link; `auto`: `users` once any account exists. */
  access: AccessMode;
  /** Largest file a chat accepts, in bytes. */
  maxUploadBytes: number;
  /** Per IP address: share link openings per hour, and messages per minute of share-link visitors. */
  shareVisitsPerHour: number;
  shareMessagesPerMinute: number;
}

/** Stage of the group binding in the resolution waterfall: after the route table (100), before sticky (200). */
export const WEB_BINDING_STAGE = 150;

export default definePlugin<JsonSchema, WebConfig>({
  name: "web",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Web chat channel: HTTP API, server-sent events, share links and a chat page.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      instance: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", default: "local", description: "account part of the chat JIDs: web:<instance>/<chat>" },
      maxTextLength: { type: "integer", minimum: 256, maximum: 100_000, default: 16_000, description: "max length, in characters, of a reply chunk shown as one message" },
      page: { type: "boolean", default: true, description: "serve the chat page at /" },
      access: { enum: ["auto", "open", "users"], default: "auto", description: "auto: open while the instance has no user accounts, users once it has one; open: every browser is a visitor; users: signed-in users and share-link visitors" },
      maxUploadBytes: { type: "integer", minimum: 1024, maximum: 104_857_600, default: 20_971_520, description: "max upload size in bytes" },
      shareVisitsPerHour: { type: "integer", minimum: 1, maximum: 100_000, default: 30, description: "share-link openings per IP address per hour" },
      shareMessagesPerMinute: { type: "integer", minimum: 1, maximum: 10_000, default: 10, description: "messages per share-link visitor's IP address per minute" },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  register(host, config) {
    const prefix = chatPrefix("web", config.instance);
    const chats = new WebChats(host.db);
    const shares = new ShareLinks(host.db);
    const topics = new WebTopics(host.db);
    const files = new WebFiles(host.db, host.dataDir);
    const access = new WebAccess(host, chats, shares, config.access);
    const hub = new EventHub(host.messages, host.log);
    let context: ChannelContext | null = null;

    host.channels.register({
      name: "web",
      prefixes: [prefix],
      // The store is the delivery medium: a reply is visible on the SSE stream once
      // stored, so sending confirms it and a resend after a crash is never needed.
      capabilities: { send: true, reply: true, typing: true, confirm: true, maxTextLength: config.maxTextLength },
      start(ctx) {
        context = ctx;
      },
      stop() {
        context = null;
        hub.closeAll();
      },
      // The afterStore tap below already pushed the reply to open streams.
      async send(chunk) {
        return { platformMessageId: chunk.messageId };
      },
      async confirm(chunk) {
        return chunk.messageId;
      },
      async typing(chat) {
        hub.signal(chat, "typing", { active: true });
      },
      async fetchAttachment(ref) {
        const file = files.get(ref);
        if (!file || !files.exists(file)) throw new ArizukoError("ARZ_ERR_FILE_NOT_FOUND", `no uploaded file ${ref}`, { statusCode: 404 });
        return { data: files.read(file), mime: file.mime };
      },
    });

    const visitorPosts = new WindowLimiter(config.shareMessagesPerMinute, 60_000);
    const visits = new WindowLimiter(config.shareVisitsPerHour, 3_600_000);
    registerRoutes({ host, access, hub, topics, files, visitorPosts, channel: () => context, instance: config.instance, maxUploadBytes: config.maxUploadBytes });
    registerChatRoutes({ host, access, chats, topics, shares });
    registerShareRoutes({ host, chats, shares, visits, revoked: () => hub.recheck() });
    host.cli.register(webCommand(host, shares, () => hub.recheck()));
    if (config.page) registerPage(host, () => !access.usersMode());

    const ours = (chat: string) => chat.startsWith(prefix);
    // Uploaded files go with the messages that carried them (retention, purge commands).
    host.hooks.afterDelete.tap(({ messages }) => {
      let removed = 0;
      for (const message of messages.filter((deleted) => ours(deleted.chat))) {
        for (const attachment of message.attachments) if (files.remove(attachment.ref, message.chat.slice(prefix.length))) removed += 1;
      }
      if (removed > 0) host.log.info({ files: removed }, "deleted uploaded files of deleted messages");
    });
    const boundGroup = (chat: string) => (ours(chat) ? chats.get(chat.slice(prefix.length))?.group ?? null : null);

    // A chat of a user or a share-link visitor talks to the group it was made with.
    host.hooks.onResolve.tap(
      (decision, { message }) => {
        const group = boundGroup(message.chat);
        if (!group) return undefined;
        if (!host.groups.exists(group)) return { ...decision, owner: null, target: null, layer: "web", reason: `web chat bound to group ${group}, which no longer exists` };
        return { ...decision, owner: group, target: group, mode: "run", layer: "web", reason: `web chat bound to group ${group}` };
      },
      { stage: WEB_BINDING_STAGE },
    );
    host.hooks.afterStore.tap(({ message }) => {
      if (ours(message.chat)) hub.notify(message.chat);
    });
    host.hooks.onAgentStart.tap(({ unit }) => {
      if (ours(unit.chat)) hub.signal(unit.chat, "typing", { active: true, group: unit.group, topic: unit.topic });
    });
    host.hooks.onAgentOutput.tap(({ unit, frame }) => {
      if (ours(unit.chat) && frame.type === "delta") hub.signal(unit.chat, "delta", { run_id: frame.run_id, text: frame.text, group: unit.group, topic: unit.topic });
    });
    host.hooks.afterAgentRun.tap(({ unit, outcome }) => {
      if (!ours(unit.chat)) return;
      hub.signal(unit.chat, "typing", { active: false, group: unit.group, topic: unit.topic });
      hub.signal(unit.chat, "status", { run: outcome, group: unit.group, topic: unit.topic });
    });
  },
});
