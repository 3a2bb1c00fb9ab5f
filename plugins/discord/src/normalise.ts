/**
 * Discord messages as arizuko messages. Chats are `discord:<bot id>/<channel id>`,
 * senders `discord:<user id>`. A thread is a topic of its parent channel. The verb is
 * `mention` in a direct-message channel or when the text mentions the bot or a role the
 * bot holds, `reply` when the message replies to the bot, and `message` otherwise. Mentions are read from the text's
 * `<@id>` and `<@&id>` tokens, because Discord also lists the author of a replied
 * message among the mentions, which would make every reply a mention.
 */
import type { Attachment, AttachmentKind, InboundMessage, Verb } from "@arizuko/sdk";
import type { Attachment as DiscordAttachment, Message, MessageReaction, PartialMessage, PartialUser, User } from "discord.js";

export function chatJid(botId: string, channelId: string): string {
  return `discord:${botId}/${channelId}`;
}

/** Returns the channel a message belongs to for arizuko (a thread's parent) and its topic (the thread). */
export function placeOf(message: Message | PartialMessage): { channelId: string; topic: string } {
  const channel = message.channel;
  if (channel.isThread() && channel.parentId) return { channelId: channel.parentId, topic: channel.id };
  return { channelId: channel.id, topic: "" };
}

function kindOf(mime: string): AttachmentKind {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  return "file";
}

function attachmentOf(attachment: DiscordAttachment): Attachment {
  const mime = attachment.contentType?.split(";")[0]?.trim() || "application/octet-stream";
  // Discord marks voice messages with a duration; they are ogg/opus files.
  const kind = attachment.duration !== null && mime.startsWith("audio/") ? "voice" : kindOf(mime);
  return { kind, mime, size: attachment.size, name: attachment.name, ref: attachment.url, url: attachment.url };
}

/** True when `text` mentions the bot's user or one of `roleIds`. */
export function mentions(text: string, botId: string, roleIds: Set<string>): boolean {
  for (const match of text.matchAll(/<@(!|&)?(\d+)>/g)) {
    if (match[1] === "&" ? roleIds.has(match[2]!) : match[2] === botId) return true;
  }
  return false;
}

function displayName(message: Message): string {
  return message.member?.displayName ?? message.author.globalName ?? message.author.username;
}

function chatName(message: Message): string {
  const channel = message.channel;
  if (channel.isDMBased()) return message.author.globalName ?? message.author.username;
  const parent = channel.isThread() ? channel.parent : channel;
  return `${message.guild?.name ?? "guild"} #${parent && "name" in parent ? parent.name : channel.id}`;
}

/** Roles of the bot in the message's guild (its managed role among them), without @everyone. */
export function botRoles(message: Message): Set<string> {
  const me = message.guild?.members.me;
  if (!me) return new Set();
  return new Set(me.roles.cache.filter((role) => role.id !== message.guild!.id).map((role) => role.id));
}

function verbOf(message: Message, botId: string): Verb {
  // Every message in a direct-message channel is addressed to the bot.
  if (message.channel.isDMBased()) return "mention";
  if (mentions(message.content, botId, botRoles(message))) return "mention";
  if (message.reference?.messageId && message.mentions.repliedUser?.id === botId) return "reply";
  return "message";
}

/** Turns a message into the one arizuko stores. */
export function toInbound(botId: string, message: Message): InboundMessage {
  const { channelId, topic } = placeOf(message);
  const attachments = [...message.attachments.values()].map(attachmentOf);
  const replyTo = message.reference?.messageId;
  return {
    chat: chatJid(botId, channelId),
    platformId: message.id,
    verb: verbOf(message, botId),
    sender: `discord:${message.author.id}`,
    senderName: displayName(message),
    text: message.content,
    topic,
    ts: message.createdTimestamp,
    chatName: chatName(message),
    direct: message.channel.isDMBased(),
    ...(replyTo && { replyTo }),
    ...(attachments.length > 0 && { attachments }),
  };
}

/** Turns a content edit into its own row pointing at the original; its id carries the edit time. */
export function editOf(botId: string, message: Message): InboundMessage {
  const { verb: _verb, replyTo: _replyTo, ...base } = toInbound(botId, message);
  const revision = message.editedTimestamp ?? Date.now();
  return { ...base, platformId: `${message.id}#${revision}`, kind: "edit", verb: "edit", target: message.id, ts: revision };
}

/** Turns a reaction a user added into its own row. Custom emoji are stored by name. */
export function reactionOf(botId: string, reaction: MessageReaction, user: User | PartialUser, ts: number): InboundMessage {
  const message = reaction.message;
  const { channelId, topic } = placeOf(message);
  const emoji = reaction.emoji.id ? `:${reaction.emoji.name ?? reaction.emoji.id}:` : (reaction.emoji.name ?? "");
  const sender = `discord:${user.id}`;
  return {
    chat: chatJid(botId, channelId),
    platformId: `${message.id}#${sender}#${emoji}`,
    kind: "reaction",
    target: message.id,
    verb: "reaction",
    sender,
    ...(user.username && { senderName: user.globalName ?? user.username }),
    text: emoji,
    topic,
    ts,
    direct: message.channel.isDMBased(),
  };
}
