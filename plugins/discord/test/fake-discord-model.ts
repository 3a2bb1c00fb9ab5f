/**
 * Discord objects shaped as API v10 sends them, for the fake in fake-discord.ts: snowflake
 * ids, users, roles, members, channels, threads and DM channels. Field names and types come
 * from discord-api-types, the typings discord.js itself reads payloads with.
 */
import {
  ChannelType,
  PermissionFlagsBits,
  ThreadAutoArchiveDuration,
  type APIDMChannel,
  type APIGuildMember,
  type APIPublicThreadChannel,
  type APIRole,
  type APITextChannel,
  type APIUser,
  type GuildMemberFlags,
  type RoleFlags,
} from "discord.js";

/** The value of a flags field with no flag set, cast because discord-api-types' flag enums have no member for 0. */
const NO_FLAGS = 0;

/** Discord's epoch (2015-01-01T00:00:00Z) in ms. A snowflake keeps ms since then in its bits above bit 22. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

let lastSnowflake = 0n;

/**
 * Makes a snowflake id for the current time. Each id is greater than every id made before it
 * in this process, so ids sort in creation order, as `after=` history queries need.
 */
export function snowflake(): string {
  let id = (BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n;
  if (id <= lastSnowflake) id = lastSnowflake + 1n;
  lastSnowflake = id;
  return id.toString();
}

/** Reads the creation time in ms back out of a snowflake id. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}

/**
 * Permissions of the bot's managed role: the set a chat bot's invite link requests.
 * Manage Messages is left out, so deleting another user's message gets Discord's 403.
 */
export const BOT_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions;

/** Permissions of @everyone in the fake guild: read and write, nothing more. */
const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ReadMessageHistory;

export function makeUser(username: string, bot = false, id = snowflake()): APIUser {
  return {
    id,
    username,
    discriminator: "0",
    global_name: bot ? null : username,
    avatar: null,
    ...(bot && { bot: true }),
  };
}

/** Makes the @everyone role, whose id is the guild's id, as on Discord. */
export function makeEveryoneRole(guildId: string): APIRole {
  return { ...roleFields(guildId, "@everyone", 0, EVERYONE_PERMISSIONS), mentionable: false };
}

/** Makes the role Discord creates for a bot when it joins: managed, tagged with the bot's id. */
export function makeBotRole(bot: APIUser, position: number): APIRole {
  return { ...roleFields(snowflake(), bot.username, position, BOT_PERMISSIONS), managed: true, tags: { bot_id: bot.id } };
}

export function makeRole(name: string, position: number): APIRole {
  return roleFields(snowflake(), name, position, 0n);
}

function roleFields(id: string, name: string, position: number, permissions: bigint): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    position,
    permissions: permissions.toString(),
    managed: false,
    mentionable: true,
    flags: NO_FLAGS as RoleFlags,
  };
}

export function makeMember(user: APIUser, roles: string[], joinedAt: string): APIGuildMember {
  return { user, roles, joined_at: joinedAt, deaf: false, mute: false, flags: NO_FLAGS as GuildMemberFlags, nick: null };
}

export function makeTextChannel(guildId: string, name: string, position: number, id = snowflake()): APITextChannel {
  return {
    id,
    type: ChannelType.GuildText,
    guild_id: guildId,
    name,
    position,
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

/** Makes an open public thread under a text channel, owned by `ownerId`. */
export function makeThread(parent: APITextChannel, name: string, ownerId: string): APIPublicThreadChannel {
  return {
    id: snowflake(),
    type: ChannelType.PublicThread,
    guild_id: parent.guild_id!,
    parent_id: parent.id,
    name,
    owner_id: ownerId,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
      archive_timestamp: new Date().toISOString(),
      locked: false,
    },
  };
}

export function makeDmChannel(recipient: APIUser): APIDMChannel {
  return { id: snowflake(), type: ChannelType.DM, name: null, recipients: [recipient], last_message_id: null };
}

/** Ids mentioned in message content: `<@id>` and `<@!id>` name users, `<@&id>` names roles. */
export function parseMentions(content: string): { userIds: string[]; roleIds: string[] } {
  const userIds = [...content.matchAll(/<@!?(\d+)>/g)].map((match) => match[1]!);
  const roleIds = [...content.matchAll(/<@&(\d+)>/g)].map((match) => match[1]!);
  return { userIds: [...new Set(userIds)], roleIds: [...new Set(roleIds)] };
}
