/**
 * web: the local web chat as a channel. Owns the `web:<instance>/` JID prefix, the
 * `/web/chats/…` API with its SSE streams, and the chat page at `/`. Each browser is one
 * sender (a visitor cookie); a chat belongs to the visitor who opened it.
 */
import { chatPrefix, definePlugin, HOST_API_VERSION, type ChannelContext, type JsonSchema } from "@arizuko/sdk";
import { WebChats } from "./chats.js";
import { EventHub } from "./events.js";
import { registerPage } from "./page.js";
import { registerRoutes } from "./routes.js";

export interface WebConfig {
  /** Account part of web chat JIDs: `web:<instance>/<chat>`. */
  instance: string;
  /** Longest reply chunk shown as one message, in UTF-16 code units. */
  maxTextLength: number;
  /** Serve the chat page at `/`. */
  page: boolean;
}

export default definePlugin<JsonSchema, WebConfig>({
  name: "web",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Web chat channel: HTTP API, server-sent events and a chat page.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      instance: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", default: "local" },
      maxTextLength: { type: "integer", minimum: 256, maximum: 100_000, default: 16_000 },
      page: { type: "boolean", default: true },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  register(host, config) {
    const prefix = chatPrefix("web", config.instance);
    const chats = new WebChats(host.db);
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
    });

    registerRoutes({ host, chats, hub, channel: () => context, instance: config.instance });
    if (config.page) registerPage(host);

    const ours = (chat: string) => chat.startsWith(prefix);
    host.hooks.afterStore.tap(({ message }) => {
      if (ours(message.chat)) hub.notify(message.chat);
    });
    host.hooks.onAgentStart.tap(({ unit }) => {
      if (ours(unit.chat)) hub.signal(unit.chat, "typing", { active: true, group: unit.group, topic: unit.topic });
    });
    host.hooks.afterAgentRun.tap(({ unit, outcome }) => {
      if (!ours(unit.chat)) return;
      hub.signal(unit.chat, "typing", { active: false, group: unit.group, topic: unit.topic });
      hub.signal(unit.chat, "status", { run: outcome, group: unit.group, topic: unit.topic });
    });
  },
});
