/**
 * The Telegram channel plugin: each configured bot is a channel owning
 * `telegram:<bot id>/` chats, on grammY's Bot API client. See docs/channels/telegram.md.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";
import { telegramBot, type BotSettings } from "./bot.js";

export interface TelegramConfig {
  bots: BotSettings[];
  /** The Bot API server; a local one (telegram-bot-api) or a test fake may stand in. */
  apiRoot: string;
  pollTimeoutS: number;
}

const CHAT_IDS = { type: "array", items: { type: "string", pattern: "^-?[0-9]+$" }, default: [] };

export default definePlugin<JsonSchema, TelegramConfig>({
  name: "telegram",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Telegram bots as channels (grammY, long polling).",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["bots"],
    properties: {
      bots: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["token"],
          properties: {
            token: { type: "string", pattern: "^[0-9]+:[A-Za-z0-9_-]+$", description: "the token @BotFather gave, <bot id>:<secret>" },
            allowChats: CHAT_IDS,
            denyChats: CHAT_IDS,
          },
        },
      },
      apiRoot: { type: "string", pattern: "^https?://", default: "https://api.telegram.org" },
      pollTimeoutS: { type: "integer", minimum: 0, maximum: 50, default: 25 },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  register(host, config) {
    const read = host.db.prepare("SELECT next_update FROM telegram_offsets WHERE bot_id = ?");
    const write = host.db.prepare(
      "INSERT INTO telegram_offsets (bot_id, next_update) VALUES (?, ?) ON CONFLICT (bot_id) DO UPDATE SET next_update = excluded.next_update",
    );
    const offsets = {
      read: (botId: string) => (read.get(botId) as { next_update: number } | undefined)?.next_update ?? null,
      write: (botId: string, next: number) => void write.run(botId, next),
    };
    for (const bot of config.bots) {
      host.channels.register(telegramBot(bot, { apiRoot: config.apiRoot.replace(/\/+$/, ""), pollTimeoutS: config.pollTimeoutS, offsets }));
    }
  },
});
