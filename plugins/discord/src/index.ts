/**
 * The Discord channel plugin: each configured bot is a channel owning
 * `discord:<bot id>/` chats, on discord.js. See docs/channels/discord.md.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema } from "@arizuko/sdk";
import { botIdOf, discordBot, type BotSettings } from "./bot.js";
import { checkBots } from "./doctor.js";

export interface DiscordConfig {
  bots: BotSettings[];
  /** Discord's REST API base; a test fake may stand in. */
  apiRoot: string;
  /** Discord's CDN for avatars and assets. */
  cdnRoot: string;
  backfillLimit: number;
  /** Milliseconds between typing indicators while a run works; Discord shows each for about ten seconds. */
  typingRefreshMs: number;
}

const IDS = { type: "array", items: { type: "string", pattern: "^[0-9]{15,21}$", description: "a Discord id (snowflake), digits only" }, default: [] };

export default definePlugin<JsonSchema, DiscordConfig>({
  name: "discord",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Discord bots as channels (discord.js; gateway and REST).",
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
            token: { type: "string", pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", description: "the bot token from the Developer Portal (Bot → Reset Token), three parts separated by dots" },
            allowGuilds: IDS,
            allowChannels: IDS,
            denyChannels: IDS,
            acceptBots: { type: "boolean", default: false },
          },
        },
      },
      apiRoot: { type: "string", pattern: "^https?://", default: "https://discord.com/api" },
      cdnRoot: { type: "string", pattern: "^https?://", default: "https://cdn.discordapp.com" },
      backfillLimit: { type: "integer", minimum: 0, maximum: 1000, default: 100 },
      typingRefreshMs: { type: "integer", minimum: 100, maximum: 60_000, default: 8000 },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  checkConfig(config) {
    const seen = new Map<string, number>();
    return config.bots.flatMap((bot, index) => {
      const id = botIdOf(bot.token);
      if (id === null) return [`bots[${index}].token: its first part does not encode a bot id; copy the whole token the Developer Portal shows`];
      const first = seen.get(id);
      if (first !== undefined) return [`bots[${index}].token: bot ${id} is already configured at bots[${first}]; list each bot once`];
      seen.set(id, index);
      return [];
    });
  },

  doctor: checkBots,

  register(host, config) {
    const list = host.db.prepare("SELECT channel_id AS channelId, message_id AS messageId FROM discord_cursors WHERE bot_id = ?");
    // Snowflakes grow with time; as text, a longer one is larger.
    const advance = host.db.prepare(`
      INSERT INTO discord_cursors (bot_id, channel_id, message_id) VALUES (?, ?, ?)
      ON CONFLICT (bot_id, channel_id) DO UPDATE SET message_id = excluded.message_id
      WHERE length(excluded.message_id) > length(message_id) OR (length(excluded.message_id) = length(message_id) AND excluded.message_id > message_id)`);
    const cursors = {
      list: (botId: string) => list.all(botId) as Array<{ channelId: string; messageId: string }>,
      advance: (botId: string, channelId: string, messageId: string) => void advance.run(botId, channelId, messageId),
    };

    for (const settings of config.bots) {
      const channel = discordBot(settings, {
        apiRoot: config.apiRoot.replace(/\/+$/, ""),
        cdnRoot: config.cdnRoot.replace(/\/+$/, ""),
        backfillLimit: config.backfillLimit,
        typingRefreshMs: config.typingRefreshMs,
        cursors,
      });
      host.channels.register(channel);
    }
  },
});
