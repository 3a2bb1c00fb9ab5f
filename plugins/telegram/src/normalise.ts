/**
 * Telegram updates as arizuko messages. Chats are `telegram:<bot id>/<chat id>`,
 * senders `telegram:<user id>`. A forum topic's `message_thread_id` is the topic
 * (General has none). Text comes from `text` or a media `caption`, and so do the
 * entities that decide the verb. The verb is `mention` when the bot is @-mentioned,
 * named by a text mention, or addressed by a command. It is `reply` when the message
 * replies to the bot, and `message` otherwise. Entity offsets are UTF-16 code units, as JavaScript
 * strings index them.
 */
import type { Attachment, InboundMessage, Verb } from "@arizuko/sdk";
import type { Message, MessageEntity, Update, User } from "grammy/types";

/** The bot an update reached: its id and its @username (without `@`). */
export interface BotIdentity {
  id: number;
  username: string;
}

export function chatJid(botId: number | string, chatId: number | string): string {
  return `telegram:${botId}/${chatId}`;
}

function displayName(user: User): string {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return name || user.username || String(user.id);
}

/** True when one of `entities` over `text` addresses the bot. */
export function addressesBot(bot: BotIdentity, text: string, entities: MessageEntity[] | undefined): boolean {
  const handle = `@${bot.username}`.toLowerCase();
  return (entities ?? []).some((entity) => {
    const part = text.slice(entity.offset, entity.offset + entity.length);
    if (entity.type === "mention") return part.toLowerCase() === handle;
    if (entity.type === "text_mention") return entity.user?.id === bot.id;
    if (entity.type === "bot_command") {
      // `/help` goes to every bot of the chat; `/help@other_bot` only to that one.
      const at = part.indexOf("@");
      return at < 0 || part.slice(at).toLowerCase() === handle;
    }
    return false;
  });
}

function verbOf(bot: BotIdentity, message: Message, text: string): Verb {
  if (addressesBot(bot, text, message.entities ?? message.caption_entities)) return "mention";
  if (repliedTo(message)?.from?.id === bot.id) return "reply";
  return "message";
}

/**
 * Returns the message this one replies to. In a forum every message of a topic
 * "replies" to the topic's opening service message, which does not count.
 */
function repliedTo(message: Message): Message | undefined {
  const target = message.reply_to_message;
  if (!target || target.forum_topic_created) return undefined;
  return target;
}

/** Builds an attachment ref: the bot that can read the file, and Telegram's file id. */
export function attachmentRef(botId: number, fileId: string): string {
  return `${botId}:${fileId}`;
}

/** Returns the path on arizuko's HTTP server that serves a file of the bot; see files.ts. */
export type FileUrl = (fileId: string) => string;

function attachmentsOf(botId: number, message: Message, fileUrl: FileUrl): Attachment[] {
  const source = (fileId: string) => ({ ref: attachmentRef(botId, fileId), url: fileUrl(fileId) });
  const found: Attachment[] = [];
  if (message.photo?.length) {
    const largest = message.photo.at(-1)!;
    found.push({ kind: "image", mime: "image/jpeg", ...(largest.file_size !== undefined && { size: largest.file_size }), ...source(largest.file_id) });
  }
  if (message.document) {
    const { document } = message;
    found.push({ kind: "file", mime: document.mime_type ?? "application/octet-stream", ...(document.file_size !== undefined && { size: document.file_size }), ...(document.file_name && { name: document.file_name }), ...source(document.file_id) });
  }
  if (message.voice) {
    const { voice } = message;
    found.push({ kind: "voice", mime: voice.mime_type ?? "audio/ogg", ...(voice.file_size !== undefined && { size: voice.file_size }), name: "voice.oga", ...source(voice.file_id) });
  }
  if (message.audio) {
    const { audio } = message;
    found.push({ kind: "audio", mime: audio.mime_type ?? "audio/mpeg", ...(audio.file_size !== undefined && { size: audio.file_size }), ...(audio.file_name && { name: audio.file_name }), ...source(audio.file_id) });
  }
  if (message.video) {
    const { video } = message;
    found.push({ kind: "video", mime: video.mime_type ?? "video/mp4", ...(video.file_size !== undefined && { size: video.file_size }), ...(video.file_name && { name: video.file_name }), ...source(video.file_id) });
  }
  if (message.sticker) {
    const { sticker } = message;
    let mime = "image/webp";
    if (sticker.is_video) mime = "video/webm";
    else if (sticker.is_animated) mime = "application/x-tgsticker";
    found.push({ kind: "sticker", mime, ...(sticker.file_size !== undefined && { size: sticker.file_size }), ...source(sticker.file_id) });
  }
  return found;
}

/** The forum topic of a message: its thread in a forum, else the main thread (""). */
export function topicOf(message: Message): string {
  return message.chat.type === "supergroup" && message.chat.is_forum && message.is_topic_message && message.message_thread_id !== undefined ? String(message.message_thread_id) : "";
}

/**
 * Turns the reactions a user added into rows of their own, one per emoji. Removals,
 * custom emoji and anonymous (chat) reactions are not stored.
 */
function reactionsOf(bot: BotIdentity, update: Update): InboundMessage[] {
  const reaction = update.message_reaction!;
  if (!reaction.user) return [];
  const had = new Set(reaction.old_reaction.map((old) => (old.type === "emoji" ? old.emoji : "")));
  const added = reaction.new_reaction.flatMap((next) => (next.type === "emoji" && !had.has(next.emoji) ? [next.emoji] : []));
  const sender = `telegram:${reaction.user.id}`;
  return added.map((emoji) => ({
    chat: chatJid(bot.id, reaction.chat.id),
    platformId: `${reaction.message_id}#${sender}#${emoji}`,
    kind: "reaction",
    target: String(reaction.message_id),
    verb: "reaction",
    sender,
    senderName: displayName(reaction.user!),
    text: emoji,
    ts: reaction.date * 1000,
    direct: reaction.chat.type === "private",
  }));
}

/** Turns an update into the messages arizuko stores: none for updates it does not take, several for several reactions. */
export function toInbound(bot: BotIdentity, update: Update, fileUrl: FileUrl): InboundMessage[] {
  if (update.message_reaction) return reactionsOf(bot, update);
  const message = messageOf(bot, update, fileUrl);
  return message === null ? [] : [message];
}

function messageOf(bot: BotIdentity, update: Update, fileUrl: FileUrl): InboundMessage | null {
  const edited = update.edited_message;
  const message = update.message ?? edited;
  if (!message || !message.from) return null;

  const text = message.text ?? message.caption ?? "";
  const attachments = attachmentsOf(bot.id, message, fileUrl);
  const chat = message.chat;
  const base = {
    chat: chatJid(bot.id, chat.id),
    sender: `telegram:${message.from.id}`,
    senderName: displayName(message.from),
    text,
    topic: topicOf(message),
    chatName: "title" in chat && chat.title ? chat.title : displayName(message.from),
    direct: chat.type === "private",
    ...(attachments.length > 0 && { attachments }),
  };

  if (edited) {
    const revision = edited.edit_date ?? edited.date;
    return { ...base, platformId: `${edited.message_id}#${revision}`, kind: "edit", target: String(edited.message_id), verb: "edit", ts: revision * 1000 };
  }
  const reply = repliedTo(message);
  return {
    ...base,
    platformId: String(message.message_id),
    verb: verbOf(bot, message, text),
    ts: message.date * 1000,
    ...(reply && { replyTo: String(reply.message_id) }),
  };
}
