/**
 * The conformance kit's driver for the Telegram channel: a fake Bot API per property,
 * with the kit's events turned into Telegram updates in a forum supergroup. Telegram's
 * ids are numbers, so the kit's made-up ids get numbers here; a reply is a reply to
 * the bot's message, as Telegram counts replies.
 */
import { sendOutcomeOf, type PlatformDriver, type PlatformEvent } from "@arizuko/sdk/testing";
import type { Update } from "grammy/types";
import { FakeBotApi, type SentMessage } from "./fake-bot-api.js";

export const BOT = { id: 600000001, username: "demo_helper_bot", token: "600000001:TEST-token-conformance" };
export const GROUP = -1001000000001;
const USERS: Record<string, number> = { "telegram:111": 111, "telegram:222": 222 };
const BOT_USER = { id: BOT.id, is_bot: true, first_name: "Demo", username: BOT.username };
const CHAT = { id: GROUP, type: "supergroup" as const, title: "Conformance", is_forum: true as const };

/** Returns the text a chat member reads of a sent message: HTML tags removed, entities decoded. */
export function displayed(sent: SentMessage): string {
  if (sent.parse_mode !== "HTML") return sent.text;
  return sent.text.replace(/<[^>]+>/g, "").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
}

export async function telegramDriver(): Promise<PlatformDriver> {
  const fake = new FakeBotApi();
  fake.addBot(BOT);
  await fake.start();
  const numbers = new Map<string, number>();
  const numberOf = (kind: string, id: string) => {
    const key = `${kind}:${id}`;
    if (!numbers.has(key)) numbers.set(key, (kind === "topic" ? 40 : 100) + numbers.size);
    return numbers.get(key)!;
  };
  const events = new Map<number, PlatformEvent>();

  function toUpdate(event: PlatformEvent): Omit<Update, "update_id"> {
    const from = { id: USERS[event.sender]!, is_bot: false, first_name: `User ${USERS[event.sender]}` };
    const message_id = numberOf("message", event.id);
    const date = 1_760_000_000;
    switch (event.type) {
      case "message":
        return {
          message: {
            message_id,
            date,
            chat: CHAT,
            from,
            text: event.text,
            ...(event.mention && { entities: [{ type: "text_mention" as const, offset: 0, length: event.text.length, user: BOT_USER }] }),
            ...(event.replyTo !== undefined && { reply_to_message: { message_id: numberOf("message", event.replyTo), date, chat: CHAT, from: BOT_USER, text: "earlier" } as never }),
            ...(event.topic !== undefined && { message_thread_id: numberOf("topic", event.topic), is_topic_message: true as const }),
          },
        };
      case "edit":
        return { edited_message: { message_id, date, edit_date: date + Number(event.revision), chat: CHAT, from, text: event.text } as never };
      case "reaction":
        return { message_reaction: { chat: CHAT, message_id, user: from, date, old_reaction: [], new_reaction: [{ type: "emoji", emoji: event.emoji as never }] } };
    }
  }

  return {
    config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 },
    platformId: (kind, id) => String(numberOf(kind, id)),
    deliver(event) {
      events.set(fake.push(BOT.id, toUpdate(event)), event);
    },
    onAck(listener) {
      fake.onConfirm((_bot, update) => {
        const event = events.get(update.update_id);
        if (event) listener(event);
      });
    },
    sendAttempts: () =>
      fake.sent.map((sent) => ({
        chat: `telegram:${BOT.id}/${sent.chat_id}`,
        text: displayed(sent),
        replyTo: sent.reply_parameters ? String(sent.reply_parameters.message_id) : null,
        topic: sent.message_thread_id !== undefined ? String(sent.message_thread_id) : "",
        at: sent.at,
        outcome: sendOutcomeOf(sent.status),
      })),
    failNextSend(failure) {
      if (failure.kind === "rate_limited") fake.failNextSend({ error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: Math.ceil(failure.retryAfterMs / 1000) } });
      else if (failure.kind === "transient") fake.failNextSend({ error_code: 502, description: "Bad Gateway" });
      else fake.failNextSend({ error_code: 403, description: "Forbidden: bot was kicked from the supergroup chat" });
    },
    disconnect: () => fake.disconnect(),
    reconnect: () => fake.reconnect(),
    close: () => fake.stop(),
  };
}
