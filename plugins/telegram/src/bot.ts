/**
 * One Telegram bot as a channel: `telegram:<bot id>/` chats. It long-polls
 * `getUpdates` and stores each update's message before moving its offset past it.
 * The offset lives in the store, so a restart neither replays nor loses updates.
 * Replies go out as HTML made from the agent's Markdown; when Telegram refuses the
 * markup, the original text goes once more without it.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { defineChannel, isRejectedMessage, SECURITY, type Channel, type ChannelContext, type HttpRoute, type OutboundChunk, type OutboundFile } from "@arizuko/sdk";
import { Api, GrammyError, HttpError, InputFile } from "grammy";
import type { Update } from "grammy/types";
import { Type } from "typebox";
import { isParseError, sendFailure } from "./errors.js";
import { BotError, FileError, FileLinks } from "./files.js";
import { toTelegramHtml } from "./format.js";
import { toInbound, type BotIdentity } from "./normalise.js";

export interface BotSettings {
  token: string;
  /** `polling` fetches updates with getUpdates; `webhook` has Telegram post them to arizuko. */
  mode: "polling" | "webhook";
  /** The webhook's secret token; a fresh random one at each start when unset. */
  secret?: string;
  /** Chat ids whose messages are taken; empty takes every chat not denied. */
  allowChats: string[];
  denyChats: string[];
}

export interface BotOptions {
  apiRoot: string;
  /** arizuko's public base URL, for webhooks, e.g. `https://bot.example.com`; null when no bot uses one. */
  webhookUrl: string | null;
  /** Seconds one getUpdates call waits for news. */
  pollTimeoutS: number;
  /** Milliseconds between typing indicators while a run works. */
  typingRefreshMs: number;
  offsets: {
    read(botId: string): number | null;
    write(botId: string, next: number): void;
  };
  /** The chat commands to offer in Telegram's menu, and the digest of the list last set. */
  commands: {
    list(): Array<{ command: string; description: string }>;
    lastDigest(botId: string): string | null;
    saveDigest(botId: string, digest: string): void;
  };
  /** Records a chat that refused the bot for good, and clears it when the chat writes again. */
  blocked: {
    mark(botId: string, chatId: string, reason: string): void;
    clear(botId: string, chatId: string): void;
  };
}

/** Update types the bot requests; Telegram does not deliver the others. Reactions reach only bots that are chat admins. */
const ALLOWED_UPDATES = ["message", "edited_message", "message_reaction"] as const;
/** Pause after a failed poll, growing to the cap, so an outage is not hammered. */
const RETRY_MS = { first: 500, max: 30_000 };

/**
 * Returns the cause of a failed HTTP call, since grammY's own message only names the
 * method. The cause quotes the request URL, which has the bot token in its path, so the
 * token is cut out.
 */
export function unreachable(error: unknown, token: string): string {
  const cause = error instanceof HttpError ? (error.error as Error | undefined) : (error as Error);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const text = [cause?.message, code].filter(Boolean).join(", ") || String(error);
  return text.replaceAll(token, "<token>");
}

/** Returns the bot id: the part of the token before the colon. */
export function botIdOf(token: string): string {
  return token.slice(0, token.indexOf(":"));
}

/** Returns the path on arizuko's HTTP server that Telegram posts a webhook bot's updates to. */
export function webhookPath(botId: string): string {
  return `/telegram/${botId}/webhook`;
}

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** The webhook route, for Telegram only: the secret header proves the sender. */
const WEBHOOK_SCHEMA = {
  summary: "Telegram webhook of a bot",
  description: `Telegram posts each update here with the ${SECRET_HEADER} header that setWebhook gave it. The 200 goes out only after the update is stored.`,
  security: SECURITY.none,
  headers: Type.Object({ [SECRET_HEADER]: Type.String() }),
  body: Type.Object({ update_id: Type.Integer() }, { additionalProperties: true, description: "a Telegram Update object" }),
  response: {
    200: Type.Object({ ok: Type.Literal(true) }),
    400: BotError("The body is not a Telegram update."),
    401: BotError(`Missing or wrong ${SECRET_HEADER} header.`),
    503: BotError("The bot is not running."),
  },
};
/** Maximum caption length of a file message, in characters, per the Bot API reference of sendDocument. */
const CAPTION_LIMIT = 1024;
/** Images Telegram shows as photos; others go as documents. */
const PHOTO_MIMES = new Set(["image/jpeg", "image/png", "image/webp"]);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface TelegramBot {
  channel: Channel;
  /** The bot's HTTP routes: its file links, and its webhook in webhook mode; registered before the host listens. */
  routes: HttpRoute[];
}

export function telegramBot(settings: BotSettings, options: BotOptions): TelegramBot {
  const botId = botIdOf(settings.token);
  const prefix = `telegram:${botId}/`;
  const api = new Api(settings.token, { apiRoot: options.apiRoot });
  let identity: BotIdentity | null = null;
  let polling: Promise<void> = Promise.resolve();
  let context: ChannelContext | null = null;
  const secret = settings.secret ?? randomBytes(32).toString("hex");
  const links = new FileLinks(botId, settings.token);

  const takes = (chatId: string) => !settings.denyChats.includes(chatId) && (settings.allowChats.length === 0 || settings.allowChats.includes(chatId));
  const chatIdOf = (jid: string) => jid.slice(prefix.length);

  /**
   * Stores an update's messages. A message the host rejects for good is logged and
   * skipped; any other failure (a busy store) is thrown, so the update is fetched again.
   */
  async function handle(ctx: ChannelContext, update: Update): Promise<void> {
    for (const message of toInbound(identity!, update, (fileId) => links.url(fileId))) {
      const chatId = chatIdOf(message.chat);
      if (!takes(chatId)) {
        ctx.log.debug({ chat: message.chat }, "update from a chat not allowed for this bot; skipped");
        return;
      }
      try {
        await ctx.inbound(message);
      } catch (error) {
        if (!isRejectedMessage(error)) throw error;
        ctx.log.warn({ bot: botId, update: update.update_id, chat: message.chat, err: error }, "telegram update rejected by the host; skipped");
        continue;
      }
      options.blocked.clear(botId, chatId);
    }
  }

  async function poll(ctx: ChannelContext): Promise<void> {
    let offset = options.offsets.read(botId) ?? 0;
    let pause = RETRY_MS.first;
    const backOff = async (state: "disconnected" | "stale", detail: string) => {
      ctx.setStatus(state, detail);
      await sleep(pause, undefined, { signal: ctx.signal }).catch(() => undefined);
      pause = Math.min(pause * 2, RETRY_MS.max);
    };

    while (!ctx.signal.aborted) {
      let updates: Update[];
      try {
        // Asking from `offset` confirms every earlier update to Telegram; all of them are stored.
        updates = await api.getUpdates({ offset, timeout: options.pollTimeoutS, allowed_updates: [...ALLOWED_UPDATES] }, ctx.signal as Parameters<Api["getUpdates"]>[1]);
      } catch (error) {
        if (ctx.signal.aborted) return;
        await backOff("disconnected", `getUpdates failed: ${unreachable(error, settings.token)}`);
        continue;
      }

      try {
        for (const update of updates) {
          await handle(ctx, update);
          offset = update.update_id + 1;
          options.offsets.write(botId, offset);
        }
      } catch (error) {
        // The offset stays before the update, so the next poll fetches it again.
        ctx.log.warn({ bot: botId, offset, err: error }, "storing a telegram update failed; fetching it again after a pause");
        await backOff("stale", `storing update ${offset} failed: ${(error as Error).message}`);
        continue;
      }
      ctx.setStatus("ok");
      pause = RETRY_MS.first;
    }
  }

  /**
   * Sends the chunk's file the way Telegram shows its kind best: a photo, a voice note,
   * or a document. The text goes as the caption, as HTML, once more as the original text
   * when Telegram refuses the markup. Text over the caption limit follows as a message.
   */
  async function sendFile(chunk: OutboundChunk & { file: OutboundFile }): Promise<number> {
    const chatId = chatIdOf(chunk.chat);
    const placement = {
      ...(chunk.topic !== "" && { message_thread_id: Number(chunk.topic) }),
      ...(chunk.replyTo !== null && { reply_parameters: { message_id: Number(chunk.replyTo), allow_sending_without_reply: true } }),
    };
    const { mime } = chunk.file;
    const upload = (caption: { caption?: string; parse_mode?: "HTML" }) => {
      // A stream is read once, so each attempt opens the file again.
      const file = new InputFile(createReadStream(chunk.file.path), chunk.file.name);
      const extra = { ...placement, ...caption };
      if (PHOTO_MIMES.has(mime)) return api.sendPhoto(chatId, file, extra);
      if (mime === "audio/ogg" || mime === "audio/opus") return api.sendVoice(chatId, file, extra);
      return api.sendDocument(chatId, file, extra);
    };

    if (chunk.text === "") return (await upload({})).message_id;
    if (chunk.text.length > CAPTION_LIMIT) {
      const sent = await upload({});
      await sendText({ ...chunk, replyTo: String(sent.message_id) });
      return sent.message_id;
    }
    try {
      return (await upload({ caption: toTelegramHtml(chunk.text), parse_mode: "HTML" })).message_id;
    } catch (error) {
      if (!isParseError(error)) throw error;
      return (await upload({ caption: chunk.text })).message_id;
    }
  }

  /** Sends the chunk as HTML; when Telegram refuses the markup, once more as the original text. */
  async function sendText(chunk: OutboundChunk): Promise<number> {
    const chatId = chatIdOf(chunk.chat);
    const extra = {
      ...(chunk.topic !== "" && { message_thread_id: Number(chunk.topic) }),
      ...(chunk.replyTo !== null && { reply_parameters: { message_id: Number(chunk.replyTo), allow_sending_without_reply: true } }),
    };
    try {
      return (await api.sendMessage(chatId, toTelegramHtml(chunk.text), { ...extra, parse_mode: "HTML" })).message_id;
    } catch (error) {
      if (!isParseError(error)) throw error;
      return (await api.sendMessage(chatId, chunk.text, extra)).message_id;
    }
  }

  /** Takes one update Telegram posted: only with the secret, and only once the bot runs. */
  async function onWebhook(...[request, reply]: Parameters<HttpRoute["handler"]>): Promise<unknown> {
    const given = request.headers[SECRET_HEADER];
    if (typeof given !== "string" || !sameSecret(given, secret)) {
      // Logged, so an operator whose proxy strips the header can find out why nothing arrives.
      context?.log.warn({ bot: botId, ip: request.ip, header: typeof given === "string" ? "wrong" : "missing" }, "telegram webhook post rejected: secret header missing or invalid");
      return reply.code(401).send({ error: `missing or invalid ${SECRET_HEADER} header; only Telegram, told the secret by setWebhook, may post here` });
    }
    const update = request.body as Update | null;
    if (typeof update?.update_id !== "number") return reply.code(400).send({ error: "the body is not a Telegram update (no update_id)" });
    if (context === null || identity === null) return reply.code(503).send({ error: `telegram bot ${botId} is not running` });
    // Telegram counts the update delivered on a 2xx, so the 200 goes out only after the commit.
    await handle(context, update);
    return reply.code(200).send({ ok: true });
  }

  /** Fetches a file the bot was sent; the download URL carries the token and never leaves this function. */
  async function download(fileId: string): Promise<{ data: Uint8Array; mime: string }> {
    let path: string | undefined;
    try {
      path = (await api.getFile(fileId)).file_path;
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 400) throw new FileError(404, `telegram bot ${botId}: Telegram has no file ${fileId} (${error.description})`);
      throw new FileError(502, `telegram bot ${botId}: getFile for ${fileId} failed (${error instanceof GrammyError ? error.description : unreachable(error, settings.token)})`);
    }
    if (!path) throw new FileError(404, `telegram bot ${botId}: file ${fileId} has no download path; the Bot API serves files up to 20 MB`);
    const response = await fetch(`${options.apiRoot}/file/bot${settings.token}/${path}`).catch((error: unknown) => {
      throw new FileError(502, `telegram bot ${botId}: downloading file ${fileId} failed (${unreachable(error, settings.token)})`);
    });
    if (!response.ok) throw new FileError(502, `telegram bot ${botId}: downloading file ${fileId} failed with HTTP ${response.status}`);
    return { data: new Uint8Array(await response.arrayBuffer()), mime: response.headers.get("content-type") ?? "application/octet-stream" };
  }

  /** Gives Telegram the command menu, only when it differs from the one given last. */
  async function offerCommands(ctx: ChannelContext): Promise<void> {
    const commands = options.commands.list();
    const digest = createHash("sha256").update(JSON.stringify(commands)).digest("hex");
    if (options.commands.lastDigest(botId) === digest) return;
    await api.setMyCommands(commands);
    options.commands.saveDigest(botId, digest);
    ctx.log.info({ bot: botId, commands: commands.length }, "telegram command menu updated");
  }

  /** Maps a failure to the outbox's outcome; a chat that refused the bot for good is marked, with the reason. */
  function failed(chunk: OutboundChunk, error: unknown): Error {
    if (error instanceof GrammyError && error.error_code === 403) {
      options.blocked.mark(botId, chatIdOf(chunk.chat), error.description);
      context?.log.warn({ bot: botId, chat: chunk.chat, reason: error.description }, "telegram rejected the bot in this chat (blocked or removed)");
    }
    return sendFailure(error);
  }

  const channel = defineChannel({
    name: `telegram:${botId}`,
    prefixes: [prefix],
    capabilities: {
      send: true,
      reply: true,
      threads: true,
      typing: true,
      typingRefreshMs: options.typingRefreshMs,
      sendFile: true,
      react: true,
      edit: true,
      delete: true,
      maxTextLength: 4096,
      // Telegram's documented limits for bots: about one message a second per chat, 30 a second in all.
      rateLimits: { perChat: { messages: 1, perMs: 1000 }, perChannel: { messages: 30, perMs: 1000 } },
    },

    async start(ctx) {
      try {
        const me = await api.getMe();
        identity = { id: me.id, username: me.username };
      } catch (error) {
        if (error instanceof GrammyError) {
          throw new Error(`telegram bot ${botId}: getMe failed (${error.error_code} ${error.description}); check the bot's token in the telegram plugin's config`);
        }
        throw new Error(`telegram bot ${botId}: cannot reach the Bot API at ${options.apiRoot} (${unreachable(error, settings.token)}); check apiRoot and this machine's network`);
      }
      try {
        if (settings.mode === "webhook") {
          await api.setWebhook(`${options.webhookUrl}${webhookPath(botId)}`, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
        } else {
          // A webhook left from another deployment makes getUpdates fail with 409.
          await api.deleteWebhook();
        }
      } catch (error) {
        const reason = error instanceof GrammyError ? `${error.error_code} ${error.description}` : unreachable(error, settings.token);
        const fix = settings.mode === "webhook" ? "check webhookUrl: Telegram needs a public HTTPS URL" : "try again, or remove the webhook with deleteWebhook";
        throw new Error(`telegram bot ${botId}: ${settings.mode === "webhook" ? "setWebhook" : "deleteWebhook"} failed (${reason}); ${fix}`);
      }
      ctx.log.info({ bot: botId, username: identity.username, mode: settings.mode }, "telegram bot connected");
      // A menu that cannot be set is no reason to stay offline.
      await offerCommands(ctx).catch((error: unknown) => ctx.log.warn({ err: error, bot: botId }, "could not set the telegram command menu"));
      context = ctx;
      if (settings.mode === "webhook") ctx.setStatus("ok");
      else polling = poll(ctx).catch((error: unknown) => ctx.log.error({ err: error, bot: botId }, "telegram polling stopped"));
    },

    async stop() {
      context = null;
      await polling;
    },

    async send(chunk) {
      try {
        return { platformMessageId: String(await sendText(chunk)) };
      } catch (error) {
        throw failed(chunk, error);
      }
    },

    async sendFile(chunk) {
      try {
        return { platformMessageId: String(await sendFile(chunk)) };
      } catch (error) {
        throw failed(chunk, error);
      }
    },

    async react(chat, messageId, emoji) {
      await api.setMessageReaction(chatIdOf(chat), Number(messageId), emoji === "" ? [] : [{ type: "emoji", emoji: emoji as never }]);
    },

    async edit(chat, messageId, text) {
      try {
        await api.editMessageText(chatIdOf(chat), Number(messageId), toTelegramHtml(text), { parse_mode: "HTML" });
      } catch (error) {
        if (!isParseError(error)) throw error;
        await api.editMessageText(chatIdOf(chat), Number(messageId), text);
      }
    },

    async delete(chat, messageId) {
      await api.deleteMessage(chatIdOf(chat), Number(messageId));
    },

    async typing(chat, topic) {
      // Telegram shows it for five seconds, or until the bot's next message.
      await api.sendChatAction(chatIdOf(chat), "typing", /^\d+$/.test(topic) ? { message_thread_id: Number(topic) } : {});
    },

    fetchAttachment(ref) {
      return download(ref.slice(ref.indexOf(":") + 1));
    },
  });

  const routes: HttpRoute[] = [links.route({ running: () => context !== null, download })];
  if (settings.mode === "webhook") routes.push({ method: "POST", url: webhookPath(botId), bodyLimit: 1024 * 1024, schema: WEBHOOK_SCHEMA, documentOnly: ["headers", "body"], handler: onWebhook });
  return { channel, routes };
}
