/**
 * One Discord bot as a channel: `discord:<bot id>/` chats, on discord.js. The
 * gateway pushes messages, edits and reactions; each is stored, and each channel's newest
 * stored message is kept as its cursor. Discord keeps no events for a client that is
 * gone, so at start the bot fetches what each known channel got after its cursor, and
 * after a reconnect the host calls `history(since)` for the rest.
 * Replies go out through Discord's REST API, as replies by message reference.
 */
import { readFile } from "node:fs/promises";
import { defineChannel, isRejectedMessage, type Channel, type ChannelContext, type InboundMessage, type OutboundChunk } from "@arizuko/sdk";
import { Client, Events, GatewayIntentBits, Partials, Routes, type APIMessage, type Message, type PartialMessage } from "discord.js";
import { sendFailure } from "./errors.js";
import { editOf, placeOf, reactionOf, toInbound } from "./normalise.js";

export interface BotSettings {
  token: string;
  /** Guild ids whose channels are taken; empty takes every guild the bot is in. */
  allowGuilds: string[];
  /** Channel ids taken (a thread counts as its parent); empty takes every channel not denied. */
  allowChannels: string[];
  denyChannels: string[];
  /** Whether messages of other bots are passed on; the bot's own never are. */
  acceptBots: boolean;
}

export interface BotOptions {
  /** Discord's REST API base, e.g. `https://discord.com/api`; discord.js adds the version. */
  apiRoot: string;
  /** Discord's CDN, where avatars and assets are. */
  cdnRoot: string;
  /** Most messages fetched per channel when catching up after an outage or a restart. */
  backfillLimit: number;
  typingRefreshMs: number;
  cursors: {
    list(botId: string): Array<{ channelId: string; messageId: string }>;
    advance(botId: string, channelId: string, messageId: string): void;
  };
}

/** Gateway intents: guild messages and reactions, direct messages, and message content. */
export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
];
/** Discord's epoch, the start of 2015, from which snowflake ids count milliseconds. */
const DISCORD_EPOCH = 1_420_070_400_000n;
/** Messages one history request returns at most, per Discord's API reference. */
const PAGE = 100;
/** Message ids remembered with their channel, so an edit or reaction finds a message in a thread. */
const REMEMBERED_MESSAGES = 10_000;
/** Mentions a reply may ping: users, and the author of the message replied to; never @everyone, @here or roles. */
const ALLOWED_MENTIONS = { parse: ["users" as const], replied_user: true };

/** Returns the bot's id, which Discord encodes in base64 as the token's first part; null for a token of another form. */
export function botIdOf(token: string): string | null {
  const first = token.split(".")[0] ?? "";
  const decoded = Buffer.from(first, "base64url").toString("utf8");
  return /^\d{15,21}$/.test(decoded) ? decoded : null;
}

/** Returns the smallest snowflake id of a message sent at or after `ms`. */
export function snowflakeAt(ms: number): string {
  return String((BigInt(Math.max(0, Math.floor(ms))) - DISCORD_EPOCH) << 22n);
}

const newer = (a: string, b: string) => BigInt(a) > BigInt(b);

export function discordBot(settings: BotSettings, options: BotOptions): Channel {
  const botId = botIdOf(settings.token)!;
  const prefix = `discord:${botId}/`;
  let client: Client | null = null;
  let context: ChannelContext | null = null;
  /** Events are stored one at a time, in arrival order, so a chat's order is kept. */
  let work: Promise<void> = Promise.resolve();
  const channelOfMessage = new Map<string, string>();
  /** The newest stored message of each channel: the cursors as seen by this process. */
  const newest = new Map<string, string>();

  const chatIdOf = (jid: string) => jid.slice(prefix.length);

  function remember(messageId: string, channelId: string): void {
    channelOfMessage.set(messageId, channelId);
    if (channelOfMessage.size > REMEMBERED_MESSAGES) channelOfMessage.delete(channelOfMessage.keys().next().value!);
  }

  /** Returns the Discord channel a chunk goes to: its thread when the topic names one, else the chat's channel. */
  function targetOf(chunk: Pick<OutboundChunk, "chat" | "topic">): string {
    return /^\d+$/.test(chunk.topic) ? chunk.topic : chatIdOf(chunk.chat);
  }

  /** True when events of the message's place are taken: its guild and channel pass the allow and deny lists. DMs always pass. */
  function takesPlace(message: Message | PartialMessage): boolean {
    if (message.channel.isDMBased()) return true;
    if (message.guildId && settings.allowGuilds.length > 0 && !settings.allowGuilds.includes(message.guildId)) return false;
    const { channelId } = placeOf(message);
    if (settings.denyChannels.includes(channelId)) return false;
    return settings.allowChannels.length === 0 || settings.allowChannels.includes(channelId);
  }

  /** True when events by this author are taken: never the bot's own, other bots' only with acceptBots. */
  function takesAuthor(author: { id: string; bot?: boolean | null } | null | undefined): boolean {
    if (!author || author.id === botId) return false;
    return !author.bot || settings.acceptBots;
  }

  const takes = (message: Message | PartialMessage) => takesAuthor(message.author) && takesPlace(message);

  /** Stores one event. A message the host rejects for good is logged and skipped. */
  async function store(ctx: ChannelContext, message: InboundMessage, channelId: string, messageId: string): Promise<void> {
    try {
      await ctx.inbound(message);
    } catch (error) {
      if (!isRejectedMessage(error)) throw error;
      ctx.log.warn({ bot: botId, chat: message.chat, platformId: message.platformId, err: error }, "discord event rejected by the host; skipped");
      return;
    }
    remember(messageId, channelId);
    if (message.kind !== undefined && message.kind !== "message") return;
    options.cursors.advance(botId, channelId, messageId);
    const last = newest.get(channelId);
    if (last === undefined || newer(messageId, last)) newest.set(channelId, messageId);
  }

  /** Queues `task` behind earlier events; a failure is logged as an error. */
  function enqueue(ctx: ChannelContext, what: string, task: () => Promise<void>): void {
    // NOTE: a failed event is lost once a later message of its channel moves the cursor past it.
    work = work.then(task).catch((error: unknown) => ctx.log.error({ bot: botId, err: error }, `storing a discord ${what} failed`));
  }

  function listen(ctx: ChannelContext, discord: Client): void {
    // Each event becomes its row at once: discord.js updates a cached message in place on a later edit.
    discord.on(Events.MessageCreate, (message) => {
      if (!takes(message)) return;
      const inbound = toInbound(botId, message);
      enqueue(ctx, "message", async () => {
        // A catch-up fetch may have stored it already.
        const last = newest.get(message.channelId);
        if (last !== undefined && !newer(message.id, last)) return;
        await store(ctx, inbound, message.channelId, message.id);
      });
    });

    discord.on(Events.MessageUpdate, (before, after) => {
      // Discord also updates a message when it adds a link preview; only a content edit sets editedTimestamp.
      if (after.partial || !after.editedTimestamp || !takes(after)) return;
      if (!before.partial && before.content === after.content) return;
      const inbound = editOf(botId, after);
      enqueue(ctx, "edit", () => store(ctx, inbound, after.channelId, after.id));
    });

    discord.on(Events.MessageReactionAdd, (reaction, user) => {
      if (!takesAuthor(user)) return;
      enqueue(ctx, "reaction", async () => {
        const full = reaction.partial ? await reaction.fetch() : reaction;
        if (!takesPlace(full.message)) return;
        await store(ctx, reactionOf(botId, full, user, Date.now()), full.message.channelId, full.message.id);
      });
    });

    discord.on(Events.ShardDisconnect, (event) => ctx.setStatus("disconnected", `gateway closed with code ${event.code}`));
    discord.on(Events.ShardReconnecting, () => ctx.setStatus("disconnected", "reconnecting to the gateway"));
    discord.on(Events.ShardResume, () => ctx.setStatus("ok"));
    discord.on(Events.ShardReady, () => ctx.setStatus("ok"));
    discord.on(Events.Error, (error) => ctx.log.warn({ bot: botId, err: error }, "discord client error"));
  }

  /** Fetches up to `backfillLimit` messages of a channel after `after`, oldest first. */
  async function fetchAfter(discord: Client, channelId: string, after: string): Promise<Message[]> {
    const channel = await discord.channels.fetch(channelId);
    if (!channel?.isTextBased()) return [];
    const found: Message[] = [];
    let cursor = after;
    while (found.length < options.backfillLimit) {
      const page = await channel.messages.fetch({ after: cursor, limit: Math.min(PAGE, options.backfillLimit - found.length), cache: false });
      if (page.size === 0) break;
      const ordered = [...page.values()].sort((a, b) => (newer(a.id, b.id) ? 1 : -1));
      found.push(...ordered);
      cursor = ordered.at(-1)!.id;
      if (page.size < PAGE) break;
    }
    return found;
  }

  /** Stores what each known channel got after its cursor while arizuko was down. */
  async function catchUp(ctx: ChannelContext, discord: Client): Promise<void> {
    for (const { channelId, messageId } of options.cursors.list(botId)) {
      newest.set(channelId, messageId);
      try {
        const missed = (await fetchAfter(discord, channelId, messageId)).filter(takes);
        for (const message of missed) await store(ctx, toInbound(botId, message), message.channelId, message.id);
        if (missed.length > 0) ctx.log.info({ bot: botId, channel: channelId, stored: missed.length }, "stored discord messages sent while arizuko was down");
      } catch (error) {
        ctx.log.warn({ bot: botId, channel: channelId, err: error }, "catching up on a discord channel failed");
      }
    }
  }

  async function login(ctx: ChannelContext): Promise<Client> {
    const discord = new Client({
      intents: INTENTS,
      // Direct-message channels and messages from before the start are not cached; without these, their events are dropped.
      partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
      rest: { api: options.apiRoot, cdn: options.cdnRoot, mediaProxy: options.cdnRoot, rejectOnRateLimit: () => true },
    });
    listen(ctx, discord);
    const ready = new Promise<void>((resolve) => discord.once(Events.ClientReady, () => resolve()));
    try {
      await discord.login(settings.token);
      await ready;
    } catch (error) {
      await discord.destroy();
      throw new Error(loginProblem(error));
    }
    return discord;
  }

  function loginProblem(error: unknown): string {
    const code = (error as { code?: unknown }).code;
    const message = (error as Error).message ?? String(error);
    if (code === "TokenInvalid") return `discord bot ${botId}: Discord refused the token (${message}); check the bot's token in the discord plugin's config`;
    if (/disallowed intents/i.test(message)) {
      return `discord bot ${botId}: Discord refused the gateway intents (${message}); turn on Message Content Intent under Bot → Privileged Gateway Intents in the Developer Portal`;
    }
    return `discord bot ${botId}: cannot connect to Discord at ${options.apiRoot} (${message.replaceAll(settings.token, "<token>")}); check apiRoot and this machine's network`;
  }

  async function post(channelId: string, body: Record<string, unknown>, files?: Array<{ name: string; data: Buffer }>): Promise<string> {
    const sent = (await client!.rest.post(Routes.channelMessages(channelId), { body, ...(files && { files }) })) as APIMessage;
    remember(sent.id, channelId);
    return sent.id;
  }

  function replyOf(chunk: OutboundChunk): Record<string, unknown> {
    return chunk.replyTo === null ? {} : { message_reference: { message_id: chunk.replyTo, fail_if_not_exists: false } };
  }

  const rest = () => {
    if (client === null) throw sendFailure(new Error(`discord bot ${botId} is not connected`));
    return client.rest;
  };

  return defineChannel({
    name: `discord:${botId}`,
    prefixes: [prefix],
    capabilities: {
      send: true,
      reply: true,
      threads: true,
      typing: true,
      // Discord shows "is typing…" for about ten seconds, or until the bot's next message.
      typingRefreshMs: options.typingRefreshMs,
      sendFile: true,
      react: true,
      edit: true,
      delete: true,
      maxTextLength: 2000,
      // Discord's documented per-channel pace is about five messages in five seconds; 50 requests a second in all.
      rateLimits: { perChat: { messages: 5, perMs: 5000 }, perChannel: { messages: 50, perMs: 1000 } },
    },

    async start(ctx) {
      client = await login(ctx);
      context = ctx;
      ctx.log.info({ bot: botId, user: client.user?.username, guilds: client.guilds.cache.size }, "discord bot connected");
      ctx.setStatus("ok");
      const discord = client;
      enqueue(ctx, "catch-up", () => catchUp(ctx, discord));
    },

    async stop() {
      context = null;
      await work;
      await client?.destroy();
      client = null;
    },

    async send(chunk) {
      try {
        return { platformMessageId: await post(targetOf(chunk), { content: chunk.text, allowed_mentions: ALLOWED_MENTIONS, ...replyOf(chunk) }) };
      } catch (error) {
        throw sendFailure(error);
      }
    },

    async sendFile(chunk) {
      try {
        const data = await readFile(chunk.file.path);
        const body = { content: chunk.text, allowed_mentions: ALLOWED_MENTIONS, attachments: [{ id: 0, filename: chunk.file.name }], ...replyOf(chunk) };
        return { platformMessageId: await post(targetOf(chunk), body, [{ name: chunk.file.name, data }]) };
      } catch (error) {
        throw sendFailure(error);
      }
    },

    async react(chat, messageId, emoji) {
      const channelId = channelOfMessage.get(messageId) ?? chatIdOf(chat);
      // TODO: removing the bot's reaction needs the emoji it reacted with, which the call does not give.
      if (emoji === "") return;
      await rest()
        .put(Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji)))
        .catch((error: unknown) => Promise.reject(sendFailure(error)));
    },

    async edit(chat, messageId, text) {
      const channelId = channelOfMessage.get(messageId) ?? chatIdOf(chat);
      await rest()
        .patch(Routes.channelMessage(channelId, messageId), { body: { content: text, allowed_mentions: ALLOWED_MENTIONS } })
        .catch((error: unknown) => Promise.reject(sendFailure(error)));
    },

    async delete(chat, messageId) {
      const channelId = channelOfMessage.get(messageId) ?? chatIdOf(chat);
      await rest()
        .delete(Routes.channelMessage(channelId, messageId))
        .catch((error: unknown) => Promise.reject(sendFailure(error)));
    },

    async typing(chat, topic) {
      await rest().post(Routes.channelTyping(targetOf({ chat, topic })));
    },

    async history(since) {
      if (client === null || context === null) return [];
      const found: InboundMessage[] = [];
      // Each channel from its newest stored message, or from `since` when that is later: ids, unlike clocks, cannot skew.
      for (const { channelId, messageId } of options.cursors.list(botId)) {
        const fromSince = snowflakeAt(since - 1);
        const after = newer(fromSince, messageId) ? fromSince : messageId;
        const messages = (await fetchAfter(client, channelId, after)).filter(takes);
        found.push(...messages.map((message) => toInbound(botId, message)));
      }
      return found;
    },

    async fetchAttachment(ref) {
      const response = await fetch(ref);
      if (!response.ok) throw new Error(`discord bot ${botId}: downloading ${ref} failed with HTTP ${response.status}`);
      return { data: new Uint8Array(await response.arrayBuffer()), mime: response.headers.get("content-type") ?? "application/octet-stream" };
    },
  });
}
