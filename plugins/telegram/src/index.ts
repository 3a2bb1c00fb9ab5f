/**
 * The Telegram channel plugin: each configured bot is a channel owning
 * `telegram:<bot id>/` chats, on grammY's Bot API client. See docs/channels/telegram.md.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";
import { botIdOf, telegramBot, type BotSettings } from "./bot.js";
import { checkBots } from "./doctor.js";

export interface TelegramConfig {
  bots: BotSettings[];
  /** arizuko's public HTTPS base URL, which Telegram posts webhook updates to; needed by webhook bots. */
  webhookUrl: string | null;
  /** The Bot API server; a local one (telegram-bot-api) or a test fake may stand in. */
  apiRoot: string;
  pollTimeoutS: number;
  /** Milliseconds between typing indicators while a run is active; Telegram shows each for about five seconds. */
  typingRefreshMs: number;
}

const CHAT_IDS = { type: "array", items: { type: "string", pattern: "^-?[0-9]+$" }, default: [] };

export default definePlugin<JsonSchema, TelegramConfig>({
  name: "telegram",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Telegram bots as channels (grammY; long polling or webhooks).",
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
            mode: { enum: ["polling", "webhook"], default: "polling" },
            secret: { type: "string", pattern: "^[A-Za-z0-9_-]{16,256}$", description: "the webhook's secret token (16 to 256 of A-Z a-z 0-9 _ -); random at each start when unset" },
            allowChats: CHAT_IDS,
            denyChats: CHAT_IDS,
          },
        },
      },
      apiRoot: { type: "string", pattern: "^https?://", default: "https://api.telegram.org" },
      webhookUrl: { type: ["string", "null"], pattern: "^https://", default: null, description: "arizuko's public base URL, starting with https:// (Telegram posts only to HTTPS)" },
      pollTimeoutS: { type: "integer", minimum: 0, maximum: 50, default: 25 },
      typingRefreshMs: { type: "integer", minimum: 100, maximum: 60_000, default: 4000 },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  checkConfig(config) {
    const problems: string[] = [];
    const seen = new Map<string, number>();
    config.bots.forEach((bot, index) => {
      const first = seen.get(botIdOf(bot.token));
      if (first !== undefined) problems.push(`bots[${index}].token: bot ${botIdOf(bot.token)} is already configured at bots[${first}]; list each bot once`);
      else seen.set(botIdOf(bot.token), index);
    });
    const webhook = config.bots.find((bot) => bot.mode === "webhook");
    if (webhook !== undefined && config.webhookUrl === null) {
      problems.push(`webhookUrl: telegram bot ${botIdOf(webhook.token)} is in webhook mode, so webhookUrl must be set to arizuko's public HTTPS base URL`);
    }
    return problems;
  },

  doctor: checkBots,

  register(host, config) {
    const read = host.db.prepare("SELECT next_update FROM telegram_offsets WHERE bot_id = ?");
    const write = host.db.prepare(
      "INSERT INTO telegram_offsets (bot_id, next_update) VALUES (?, ?) ON CONFLICT (bot_id) DO UPDATE SET next_update = excluded.next_update",
    );
    const offsets = {
      read: (botId: string) => (read.get(botId) as { next_update: number } | undefined)?.next_update ?? null,
      write: (botId: string, next: number) => void write.run(botId, next),
    };
    const digestOf = host.db.prepare("SELECT digest FROM telegram_commands WHERE bot_id = ?");
    const saveDigest = host.db.prepare("INSERT INTO telegram_commands (bot_id, digest) VALUES (?, ?) ON CONFLICT (bot_id) DO UPDATE SET digest = excluded.digest");
    const commands = {
      // Operator commands stay out of the menu, which every member of a chat can open.
      list: () => host.commands.list().filter((command) => !command.operatorOnly).map((command) => ({ command: command.name, description: command.description })),
      lastDigest: (botId: string) => (digestOf.get(botId) as { digest: string } | undefined)?.digest ?? null,
      saveDigest: (botId: string, digest: string) => void saveDigest.run(botId, digest),
    };
    const markBlocked = host.db.prepare(
      "INSERT INTO telegram_blocked_chats (bot_id, chat_id, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT (bot_id, chat_id) DO UPDATE SET reason = excluded.reason, at = excluded.at",
    );
    const clearBlocked = host.db.prepare("DELETE FROM telegram_blocked_chats WHERE bot_id = ? AND chat_id = ?");
    const blocked = {
      mark: (botId: string, chatId: string, reason: string) => void markBlocked.run(botId, chatId, reason, Date.now()),
      clear: (botId: string, chatId: string) => void clearBlocked.run(botId, chatId),
    };
    const webhookUrl = config.webhookUrl?.replace(/\/+$/, "") ?? null;
    for (const settings of config.bots) {
      const bot = telegramBot(settings, {
        apiRoot: config.apiRoot.replace(/\/+$/, ""),
        webhookUrl,
        pollTimeoutS: config.pollTimeoutS,
        typingRefreshMs: config.typingRefreshMs,
        offsets,
        commands,
        blocked,
      });
      host.channels.register(bot.channel);
      for (const route of bot.routes) host.http.register(route);
    }
  },
});
