/**
 * A complete channel plugin for "Console", the in-process chat platform of
 * `platform.ts`. It long-polls for updates, stores each one before confirming it,
 * keeps its read offset in its own table so a restart neither replays nor loses
 * updates, and turns the platform's send errors into the sdk's outcomes.
 */
import {
  defineChannel,
  definePlugin,
  HOST_API_VERSION,
  Permanent,
  RateLimited,
  Transient,
  type ChannelContext,
  type InboundMessage,
  type JsonSchema,
  type OutboundChunk,
} from "@arizuko/sdk";
import { ConsoleApiError, platformNamed, type ConsolePlatform, type ConsoleUpdate } from "./platform.js";

interface ConsoleConfig {
  /** Name of the Console platform to connect to (a real channel takes a URL and a token here). */
  platform: string;
  /** The bot account; chats are `console:<account>/<chat>`. */
  account: string;
}

/** How long one getUpdates call waits for news; stop() aborts it at once. */
const POLL_WAIT_MS = 10_000;
/** Pause after a failed poll, so a platform outage is not hammered. */
const RETRY_PAUSE_MS = 200;

function verbOf(message: { mentionsBot?: boolean; replyToId?: string }): InboundMessage["verb"] {
  if (message.mentionsBot) return "mention";
  if (message.replyToId !== undefined) return "reply";
  return "message";
}

/** Turns a Console update into the message arizuko stores, or null for updates it ignores. */
export function toInbound(account: string, update: ConsoleUpdate): InboundMessage | null {
  const jid = (chat: string) => `console:${account}/${chat}`;
  if (update.message) {
    const { id, chat, from, text, replyToId, threadId } = update.message;
    return {
      chat: jid(chat),
      platformId: id,
      verb: verbOf(update.message),
      sender: `console:${from}`,
      text,
      ...(replyToId !== undefined && { replyTo: replyToId }),
      ...(threadId !== undefined && { topic: threadId }),
    };
  }
  if (update.edit) {
    const { messageId, chat, from, text, revision } = update.edit;
    return { chat: jid(chat), platformId: `${messageId}#${revision}`, kind: "edit", target: messageId, verb: "edit", sender: `console:${from}`, text };
  }
  if (update.reaction) {
    const { messageId, chat, from, emoji } = update.reaction;
    return {
      chat: jid(chat),
      platformId: `${messageId}#console:${from}#${emoji}`,
      kind: "reaction",
      target: messageId,
      verb: "reaction",
      sender: `console:${from}`,
      text: emoji,
    };
  }
  return null;
}

/** Maps a failed send to the outcome the outbox acts on. */
function sendFailure(error: unknown): Error {
  if (!(error instanceof ConsoleApiError)) return new Transient(`console send failed: ${(error as Error).message}`, error);
  if (error.status === 429) return new RateLimited(error.retryAfterMs ?? 1000, error.message, error);
  if (error.status >= 500) return new Transient(error.message, error);
  return new Permanent(error.message, error);
}

export default definePlugin<JsonSchema, ConsoleConfig>({
  name: "console-channel",
  version: "1.0.0",
  apiVersion: HOST_API_VERSION,
  description: "Console chat channel (an example channel plugin).",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["platform"],
    properties: {
      platform: { type: "string", minLength: 1 },
      account: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", default: "local" },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  register(host, config) {
    const offsets = {
      read: host.db.prepare("SELECT next_update FROM console_channel_offsets WHERE account = ?"),
      write: host.db.prepare(
        "INSERT INTO console_channel_offsets (account, next_update) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET next_update = excluded.next_update",
      ),
    };
    let platform: ConsolePlatform;
    let polling: Promise<void> = Promise.resolve();

    /** Reads updates until the channel stops: store each, then move the offset past it. */
    async function poll(ctx: ChannelContext): Promise<void> {
      let offset = (offsets.read.get(config.account) as { next_update: number } | undefined)?.next_update ?? 1;
      while (!ctx.signal.aborted) {
        let updates: ConsoleUpdate[];
        try {
          // Asking for `offset` confirms every update before it, which are all stored.
          updates = await platform.getUpdates(offset, POLL_WAIT_MS, ctx.signal);
          ctx.setStatus("ok");
        } catch (error) {
          ctx.setStatus("disconnected", (error as Error).message);
          await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
          continue;
        }
        for (const update of updates) {
          const message = toInbound(config.account, update);
          if (message) await ctx.inbound(message);
          offset = update.updateId + 1;
          offsets.write.run(config.account, offset);
        }
      }
    }

    host.channels.register(
      defineChannel({
        name: "console",
        prefixes: [`console:${config.account}/`],
        capabilities: { send: true, reply: true, threads: true, maxTextLength: 500 },
        start(ctx) {
          platform = platformNamed(config.platform);
          polling = poll(ctx).catch((error: unknown) => ctx.log.error({ err: error }, "console polling stopped"));
        },
        async stop() {
          // The host aborts ctx.signal first; wait for the loop to leave its last poll.
          await polling;
        },
        async send(chunk: OutboundChunk) {
          const chat = chunk.chat.slice(`console:${config.account}/`.length);
          try {
            const sent = await platform.sendMessage({
              chat,
              text: chunk.text,
              ...(chunk.replyTo !== null && { replyToId: chunk.replyTo }),
              ...(chunk.topic !== "" && { threadId: chunk.topic }),
            });
            return { platformMessageId: sent.messageId };
          } catch (error) {
            throw sendFailure(error);
          }
        },
      }),
    );
  },
});
