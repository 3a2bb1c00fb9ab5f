/**
 * Messages of the fake Discord: the store of each channel's messages, the files attached
 * to them, and the MESSAGE_* dispatches, filtered by intents and by Discord's Message
 * Content rule. User posts and the bot's REST calls both go through here.
 */
import {
  ChannelType,
  GatewayIntentBits,
  MessageType,
  type APIAttachment,
  type APIEmbed,
  type APIGuildMember,
  type APIMessage,
  type APIUser,
} from "discord.js";
import type { FakeChannel, FakeDiscord } from "./fake-discord.js";
import { hasIntent, type GatewaySession } from "./fake-discord-gateway.js";
import { parseMentions, snowflake, snowflakeTime } from "./fake-discord-model.js";

/** A file attached to a message. The fake serves its bytes at the attachment's url. */
export interface FileInput {
  filename: string;
  data: Buffer | string;
  contentType?: string;
}

/** Fields of a new message: a user's post, or the bot's after the REST route checked them. */
export interface MessageFields {
  content: string;
  embeds: APIEmbed[];
  attachments: FileInput[];
  /** The id of a message in the same channel that this one replies to. */
  replyTo?: string;
  /**
   * The author the reply shows for the message it replies to, in place of the real one.
   * The conformance kit replies to a user's message but counts it a reply to the bot.
   */
  referencedAuthor?: APIUser;
  nonce?: string | number;
  mentionEveryone?: boolean;
}

interface StoredFile {
  data: Buffer;
  contentType: string;
}

export class FakeMessages {
  private readonly byChannel = new Map<string, APIMessage[]>();
  /** Attached files by URL path, served under /attachments. */
  private readonly files = new Map<string, StoredFile>();

  constructor(private readonly fake: FakeDiscord) {}

  /** Returns an attached file by the path of its URL, query string ignored. */
  file(path: string): StoredFile | undefined {
    return this.files.get(path.split("?")[0]!);
  }

  /** Returns the messages stored in a channel, oldest first. */
  inChannel(channelId: string): APIMessage[] {
    return [...(this.byChannel.get(channelId) ?? [])];
  }

  find(channelId: string, messageId: string): APIMessage | undefined {
    return this.byChannel.get(channelId)?.find((message) => message.id === messageId);
  }

  /**
   * Builds and stores a message, then sends MESSAGE_CREATE. The bot's own posts go out too,
   * because Discord delivers a bot's messages back to it over the gateway.
   */
  publish(channel: FakeChannel, author: APIUser, fields: MessageFields): APIMessage {
    const id = snowflake();
    const { userIds, roleIds } = parseMentions(fields.content);
    const reply = fields.replyTo === undefined ? undefined : this.find(channel.id, fields.replyTo);
    if (fields.replyTo !== undefined && !reply) throw new Error(`publish: no message ${fields.replyTo} in channel ${channel.id} to reply to`);
    const message: APIMessage = {
      id,
      channel_id: channel.id,
      author,
      content: fields.content,
      timestamp: new Date(snowflakeTime(id)).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: fields.mentionEveryone ?? false,
      mentions: userIds.map((userId) => this.fake.users.get(userId)).filter((user) => user !== undefined),
      mention_roles: roleIds.filter((roleId) => this.fake.guild.roles.some((role) => role.id === roleId)),
      attachments: fields.attachments.map((file) => this.storeFile(channel.id, file)),
      embeds: fields.embeds,
      pinned: false,
      type: reply ? MessageType.Reply : MessageType.Default,
      components: [],
      ...(fields.nonce !== undefined && { nonce: fields.nonce }),
      ...(reply && {
        message_reference: { message_id: reply.id, channel_id: channel.id, ...(guildIdOf(channel) && { guild_id: guildIdOf(channel) }) },
        referenced_message: fields.referencedAuthor ? { ...reply, author: fields.referencedAuthor } : reply,
      }),
    };
    const stored = this.byChannel.get(channel.id) ?? [];
    stored.push(message);
    this.byChannel.set(channel.id, stored);
    if (channel.type === ChannelType.PublicThread) {
      channel.message_count = (channel.message_count ?? 0) + 1;
      channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
    }

    this.dispatch("MESSAGE_CREATE", channel, message);
    return message;
  }

  /** Applies an edit to a stored message and sends MESSAGE_UPDATE. */
  update(message: APIMessage, changes: { content?: string; embeds?: APIEmbed[] }): APIMessage {
    // Discord sets edited_timestamp for a content edit only, not when it adds a link preview.
    if (changes.content !== undefined && changes.content !== message.content) message.edited_timestamp = new Date().toISOString();
    if (changes.content !== undefined) message.content = changes.content;
    if (changes.embeds !== undefined) message.embeds = changes.embeds;
    this.dispatch("MESSAGE_UPDATE", this.fake.findChannel(message.channel_id)!, message);
    return message;
  }

  /** Removes a stored message and sends MESSAGE_DELETE. */
  delete(message: APIMessage): void {
    const stored = this.byChannel.get(message.channel_id) ?? [];
    this.byChannel.set(message.channel_id, stored.filter((candidate) => candidate.id !== message.id));
    const channel = this.fake.findChannel(message.channel_id)!;
    const guildId = guildIdOf(channel);
    const data = { id: message.id, channel_id: channel.id, ...(guildId && { guild_id: guildId }) };
    this.fake.gateway.dispatch("MESSAGE_DELETE", (session) => (hasIntent(session, messageIntent(channel)) ? data : null));
  }

  /** Adds the bot's reaction to a stored message and sends MESSAGE_REACTION_ADD. */
  addBotReaction(message: APIMessage, emoji: { id: string | null; name: string }): void {
    this.addReaction(message, this.fake.bot, emoji);
  }

  /** Adds `user`'s reaction to a stored message and sends MESSAGE_REACTION_ADD; a repeat changes nothing but is sent again. */
  addReaction(message: APIMessage, user: APIUser, emoji: { id: string | null; name: string }): void {
    const mine = user.id === this.fake.bot.id;
    const reactions = (message.reactions ??= []);
    const existing = reactions.find((reaction) => reaction.emoji.id === emoji.id && reaction.emoji.name === emoji.name);
    if (existing && !(mine && existing.me)) {
      existing.count++;
      existing.count_details.normal++;
      existing.me ||= mine;
    } else if (!existing) {
      reactions.push({ count: 1, count_details: { burst: 0, normal: 1 }, me: mine, me_burst: false, burst_colors: [], emoji });
    }

    const channel = this.fake.findChannel(message.channel_id)!;
    const guildId = guildIdOf(channel);
    const intent = guildId ? GatewayIntentBits.GuildMessageReactions : GatewayIntentBits.DirectMessageReactions;
    const data = {
      user_id: user.id,
      channel_id: channel.id,
      message_id: message.id,
      emoji,
      type: 0,
      burst: false,
      ...(guildId && { guild_id: guildId, member: { ...this.memberPartial(user.id), user } }),
    };
    this.fake.gateway.dispatch("MESSAGE_REACTION_ADD", (session) => (hasIntent(session, intent) ? data : null));
  }

  private storeFile(channelId: string, file: FileInput): APIAttachment {
    const id = snowflake();
    const data = typeof file.data === "string" ? Buffer.from(file.data) : file.data;
    const contentType = file.contentType ?? "application/octet-stream";
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(file.filename)}`;
    this.files.set(path, { data, contentType });
    return { id, filename: file.filename, size: data.length, url: `${this.fake.url}${path}`, proxy_url: `${this.fake.url}${path}`, content_type: contentType };
  }

  /** Returns a guild member without its user, as message and reaction events carry it. */
  private memberPartial(userId: string): Omit<APIGuildMember, "user"> | undefined {
    const member = this.fake.guild.members.find((candidate) => candidate.user.id === userId);
    if (!member) return undefined;
    const { user: _user, ...partial } = member;
    return partial;
  }

  /** Sends a stored message's MESSAGE_CREATE again, as a redelivery. */
  redeliver(message: APIMessage): void {
    this.dispatch("MESSAGE_CREATE", this.fake.findChannel(message.channel_id)!, message);
  }

  /** Sends a stored message's MESSAGE_UPDATE again, as a redelivery. */
  redeliverUpdate(message: APIMessage): void {
    this.dispatch("MESSAGE_UPDATE", this.fake.findChannel(message.channel_id)!, message);
  }

  /** Sends MESSAGE_CREATE or MESSAGE_UPDATE in its gateway form, filtered by each session's intents. */
  private dispatch(event: string, channel: FakeChannel, message: APIMessage): void {
    const guildId = guildIdOf(channel);
    const member = guildId ? this.memberPartial(message.author.id) : undefined;
    const payload = {
      ...message,
      channel_type: channel.type,
      mentions: message.mentions.map((user) => {
        const mentioned = guildId ? this.memberPartial(user.id) : undefined;
        return mentioned ? { ...user, member: mentioned } : user;
      }),
      ...(guildId && { guild_id: guildId }),
      ...(member && { member }),
    };
    this.fake.gateway.dispatch(event, (session) => {
      if (!hasIntent(session, messageIntent(channel))) return null;
      return this.seesContent(session, channel, message) ? payload : { ...payload, content: "", embeds: [], attachments: [], components: [] };
    });
  }

  /**
   * Tells whether a session may see a message's content, by Discord's Message Content rule.
   * Without the MessageContent intent a session gets content, embeds, attachments and components
   * empty. DMs, the bot's own messages and messages that mention the bot are exempt.
   */
  private seesContent(session: GatewaySession, channel: FakeChannel, message: APIMessage): boolean {
    if (hasIntent(session, GatewayIntentBits.MessageContent)) return true;
    if (channel.type === ChannelType.DM) return true;
    if (message.author.id === this.fake.bot.id) return true;
    return message.mentions.some((user) => user.id === this.fake.bot.id);
  }
}

function guildIdOf(channel: FakeChannel): string | undefined {
  return channel.type === ChannelType.DM ? undefined : channel.guild_id;
}

/** Returns the intent a session needs to receive message events of a channel. */
function messageIntent(channel: FakeChannel): number {
  return channel.type === ChannelType.DM ? GatewayIntentBits.DirectMessages : GatewayIntentBits.GuildMessages;
}
