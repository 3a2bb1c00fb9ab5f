/**
 * A fake of Discord's API v10 on 127.0.0.1, for testing the Discord channel with the real
 * discord.js v14 client. One HTTP server serves REST under /api/v10, the gateway WebSocket
 * at /gateway and attachment files under /attachments. A client built with `restOptions`
 * sends nothing to another host: GET /gateway/bot names this server's gateway, and READY
 * names it again as the resume URL.
 *
 * The fake contains one guild with a text channel, @everyone, the bot's managed role and the
 * bot's member. Tests add users, roles, channels, threads and DM channels, post messages
 * as users (`emitMessage`), drop the gateway connection (`dropConnection`), queue REST
 * failures (`failNext`) and read what the bot sent (`calls`, `messages.inChannel`).
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import {
  ApplicationFlags,
  GatewayIntentBits,
  type APIDMChannel,
  type APIGuildMember,
  type APIMessage,
  type APIPublicThreadChannel,
  type APIRole,
  type APITextChannel,
  type APIUser,
} from "discord.js";
import { FakeGateway, hasIntent, PRIVILEGED_INTENTS, type GatewayHost } from "./fake-discord-gateway.js";
import { FakeMessages, type FileInput } from "./fake-discord-messages.js";
import {
  makeBotRole,
  makeDmChannel,
  makeEveryoneRole,
  makeMember,
  makeRole,
  makeTextChannel,
  makeThread,
  makeUser,
  snowflake,
} from "./fake-discord-model.js";
import { API_PREFIX, FakeRest, type RestCall, type RestFailure, type RestRoute } from "./fake-discord-rest.js";
import { routeHandlers } from "./fake-discord-routes.js";

export type { FileInput, MessageFields } from "./fake-discord-messages.js";
export type { RestCall, RestFailure, RestRoute } from "./fake-discord-rest.js";
export { REST_ROUTES } from "./fake-discord-rest.js";

export interface FakeDiscordOptions {
  /** The bot token. Default: one of Discord's form, `<base64 of the bot's id>.<timestamp>.<secret>`. */
  token?: string;
  /**
   * Privileged intents switched on for the application in the Developer Portal, as
   * GatewayIntentBits. Default: all three. IDENTIFY with any other privileged intent is closed with 4014.
   */
  enabledPrivilegedIntents?: number;
  /** HELLO's heartbeat_interval in ms. Default: 41250. discord.js sends its first heartbeat after a random part of it. */
  heartbeatIntervalMs?: number;
  /** Fixed ids for the bot and the first text channel, for tests that name them before the fake starts. Default: fresh ones. */
  ids?: { bot?: string; textChannel?: string };
}

/** A message a user posts. Mentions are read from `<@id>` and `<@&id>` in the content, as Discord does. */
export interface MessageInput {
  author: APIUser;
  content?: string;
  /** A text channel, thread or DM channel id. Default: the guild's first text channel. */
  channelId?: string;
  attachments?: FileInput[];
  /** The id of a message in the same channel that this one replies to. */
  replyTo?: string;
  /** The author the reply shows for the message it replies to; see MessageFields. */
  referencedAuthor?: APIUser;
  mentionEveryone?: boolean;
}

export type FakeChannel = APITextChannel | APIPublicThreadChannel | APIDMChannel;

export class FakeDiscord implements GatewayHost {
  token: string;
  enabledPrivilegedIntents: number;
  readonly heartbeatIntervalMs: number;
  readonly bot: APIUser;
  /** The application's id, which is also its bot user's id, as for every bot made since 2016. */
  readonly applicationId: string;
  readonly guild: {
    id: string;
    name: string;
    ownerId: string;
    joinedAt: string;
    roles: APIRole[];
    members: APIGuildMember[];
    channels: APITextChannel[];
    threads: APIPublicThreadChannel[];
  };
  readonly botRole: APIRole;
  /** The guild's first text channel, where messages go unless a test names another. */
  readonly textChannel: APITextChannel;
  readonly dmChannels: APIDMChannel[] = [];
  /** Every user in the fake, the bot included, by id. */
  readonly users = new Map<string, APIUser>();
  readonly gateway: FakeGateway;
  readonly rest: FakeRest;
  readonly messages = new FakeMessages(this);
  /** http://127.0.0.1:PORT, set by start(). */
  url = "";
  private server: Server | null = null;

  constructor(options: FakeDiscordOptions = {}) {
    this.enabledPrivilegedIntents = options.enabledPrivilegedIntents ?? PRIVILEGED_INTENTS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.bot = this.remember(makeUser("arizuko-test-bot", true, options.ids?.bot));
    this.applicationId = this.bot.id;
    this.token = options.token ?? `${Buffer.from(this.bot.id).toString("base64url")}.GfAkE0.fake-secret-part`;
    const owner = this.remember(makeUser("guild-owner"));

    const guildId = snowflake();
    const joinedAt = new Date().toISOString();
    this.botRole = makeBotRole(this.bot, 1);
    this.textChannel = makeTextChannel(guildId, "general", 0, options.ids?.textChannel);
    this.guild = {
      id: guildId,
      name: "arizuko test guild",
      ownerId: owner.id,
      joinedAt,
      roles: [makeEveryoneRole(guildId), this.botRole],
      members: [makeMember(owner, [], joinedAt), makeMember(this.bot, [this.botRole.id], joinedAt)],
      channels: [this.textChannel],
      threads: [],
    };
    this.gateway = new FakeGateway(this);
    this.rest = new FakeRest(() => this.token, routeHandlers(this));
  }

  /** The value for discord.js's `rest.api`, to which discord.js appends /v10 itself. */
  get apiBase(): string {
    return `${this.url}/api`;
  }

  get gatewayUrl(): string {
    return `${this.url.replace(/^http/, "ws")}/gateway`;
  }

  /**
   * discord.js REST options that keep every request on this server: `api` for REST calls,
   * and `cdn` and `mediaProxy`, which discord.js uses to build avatar and asset URLs.
   */
  get restOptions(): { api: string; cdn: string; mediaProxy: string } {
    return { api: this.apiBase, cdn: this.url, mediaProxy: this.url };
  }

  /** Every REST call in arrival order. */
  get calls(): readonly RestCall[] {
    return this.rest.calls;
  }

  /** REST calls of one route, in arrival order. */
  callsTo(route: RestRoute): RestCall[] {
    return this.rest.calls.filter((call) => call.route === route);
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const path = request.url ?? "/";
      if (path.startsWith(`${API_PREFIX}/`)) return void this.rest.handle(request, response);
      if (request.method === "GET" && path.startsWith("/attachments/")) return this.serveFile(path, response);
      response.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "404: Not Found", code: 0 }));
    });
    server.on("upgrade", (request, socket, head) => {
      if (new URL(request.url ?? "/", "http://fake").pathname === "/gateway") this.gateway.upgrade(request, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.gateway.stop();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }

  /** Adds a user as a member of the guild; sessions with the GuildMembers intent get GUILD_MEMBER_ADD. */
  addUser(username: string, id?: string): APIUser {
    const user = this.remember(makeUser(username, false, id));
    const member = makeMember(user, [], new Date().toISOString());
    this.guild.members.push(member);
    this.dispatchToGuild("GUILD_MEMBER_ADD", GatewayIntentBits.GuildMembers, { ...member, guild_id: this.guild.id });
    return user;
  }

  /** Adds a mentionable role; sessions with the Guilds intent get GUILD_ROLE_CREATE. */
  addRole(name: string): APIRole {
    const role = makeRole(name, this.guild.roles.length);
    this.guild.roles.push(role);
    this.dispatchToGuild("GUILD_ROLE_CREATE", GatewayIntentBits.Guilds, { guild_id: this.guild.id, role });
    return role;
  }

  /** Adds a text channel; sessions with the Guilds intent get CHANNEL_CREATE. */
  addTextChannel(name: string): APITextChannel {
    const channel = makeTextChannel(this.guild.id, name, this.guild.channels.length);
    this.guild.channels.push(channel);
    this.dispatchToGuild("CHANNEL_CREATE", GatewayIntentBits.Guilds, channel);
    return channel;
  }

  /** Returns the DM channel between the bot and `user`, creating it on first use, as POST /users/@me/channels does. */
  dmChannelWith(user: APIUser): APIDMChannel {
    const existing = this.dmChannels.find((channel) => channel.recipients?.[0]?.id === user.id);
    if (existing) return existing;
    const channel = makeDmChannel(user);
    this.dmChannels.push(channel);
    return channel;
  }

  /**
   * Creates a public thread under a text channel and sends THREAD_CREATE to sessions with
   * the Guilds intent. Discord would also post a "thread created" system message in the
   * parent channel; the fake does not.
   */
  emitThreadCreate(name: string, options: { parentId?: string; owner?: APIUser } = {}): APIPublicThreadChannel {
    const parent = this.guild.channels.find((channel) => channel.id === (options.parentId ?? this.textChannel.id));
    if (!parent) throw new Error(`emitThreadCreate: no text channel ${options.parentId} in the fake guild`);
    const thread = makeThread(parent, name, (options.owner ?? this.bot).id);
    this.guild.threads.push(thread);
    this.dispatchToGuild("THREAD_CREATE", GatewayIntentBits.Guilds, { ...thread, newly_created: true });
    return thread;
  }

  /** Posts a message as a user and sends MESSAGE_CREATE to every session allowed to see it. */
  emitMessage(input: MessageInput): APIMessage {
    const channelId = input.channelId ?? this.textChannel.id;
    const channel = this.findChannel(channelId);
    if (!channel) throw new Error(`emitMessage: no channel ${channelId} in the fake`);
    return this.messages.publish(channel, input.author, {
      content: input.content ?? "",
      embeds: [],
      attachments: input.attachments ?? [],
      ...(input.replyTo !== undefined && { replyTo: input.replyTo }),
      ...(input.referencedAuthor !== undefined && { referencedAuthor: input.referencedAuthor }),
      mentionEveryone: input.mentionEveryone ?? false,
    });
  }

  /** Edits a stored message's content and sends MESSAGE_UPDATE, as when its author edits it. */
  emitMessageUpdate(channelId: string, messageId: string, content: string): APIMessage {
    const message = this.messages.find(channelId, messageId);
    if (!message) throw new Error(`emitMessageUpdate: no message ${messageId} in channel ${channelId}`);
    return this.messages.update(message, { content });
  }

  /** Sends any dispatch to every live session, unfiltered, for events the fake has no helper for. */
  dispatch(event: string, data: unknown): void {
    this.gateway.dispatch(event, () => data);
  }

  /**
   * Drops the gateway connections, as a network fault does. Sessions stay resumable
   * unless `invalidateSession` is set, so the client's RESUME replays what it missed.
   * Returns how many connections were dropped.
   */
  dropConnection(options: { code?: number; invalidateSession?: boolean } = {}): number {
    return this.gateway.drop(options);
  }

  /** Fails the next `times` calls of `route` with `failure`, described at RestFailure. */
  failNext(route: RestRoute, failure: RestFailure, times = 1): void {
    this.rest.failNext(route, failure, times);
  }

  /**
   * Replaces the bot token, as "Reset Token" in the Developer Portal does. Open connections
   * stay up, and the next REST call, IDENTIFY or RESUME with the old token is rejected.
   */
  resetToken(next: string): void {
    this.token = next;
  }

  findChannel(id: string): FakeChannel | undefined {
    return (
      this.guild.channels.find((channel) => channel.id === id) ??
      this.guild.threads.find((thread) => thread.id === id) ??
      this.dmChannels.find((channel) => channel.id === id)
    );
  }

  /** Returns the application object of GET /applications/@me, with the flags of the enabled privileged intents. */
  applicationData(): Record<string, unknown> {
    // A bot in under 100 servers has the *_LIMITED flags for the intents switched on in its settings.
    let flags = 0;
    if (this.enabledPrivilegedIntents & GatewayIntentBits.GuildPresences) flags |= ApplicationFlags.GatewayPresenceLimited;
    if (this.enabledPrivilegedIntents & GatewayIntentBits.GuildMembers) flags |= ApplicationFlags.GatewayGuildMembersLimited;
    if (this.enabledPrivilegedIntents & GatewayIntentBits.MessageContent) flags |= ApplicationFlags.GatewayMessageContentLimited;
    return {
      id: this.applicationId,
      name: this.bot.username,
      icon: null,
      description: "",
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: "0".repeat(64),
      flags,
      bot: this.bot,
    };
  }

  readyData(): Record<string, unknown> {
    return {
      v: 10,
      user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: this.guild.id, unavailable: true }],
      shard: [0, 1],
      application: { id: this.applicationId, flags: this.applicationData().flags },
    };
  }

  guildCreateData(): Array<Record<string, unknown>> {
    const guild = this.guild;
    const botMember = guild.members.find((member) => member.user.id === this.bot.id)!;
    return [
      {
        id: guild.id,
        name: guild.name,
        icon: null,
        splash: null,
        discovery_splash: null,
        banner: null,
        description: null,
        owner_id: guild.ownerId,
        afk_channel_id: null,
        afk_timeout: 300,
        verification_level: 0,
        default_message_notifications: 0,
        explicit_content_filter: 0,
        mfa_level: 0,
        nsfw_level: 0,
        premium_tier: 0,
        premium_progress_bar_enabled: false,
        preferred_locale: "en-US",
        features: [],
        system_channel_id: null,
        system_channel_flags: 0,
        rules_channel_id: null,
        public_updates_channel_id: null,
        vanity_url_code: null,
        application_id: null,
        roles: guild.roles,
        emojis: [],
        stickers: [],
        joined_at: guild.joinedAt,
        large: false,
        unavailable: false,
        member_count: guild.members.length,
        // Without the GuildMembers intent Discord lists only the bot's own member here.
        members: [botMember],
        channels: guild.channels,
        threads: guild.threads,
        voice_states: [],
        presences: [],
        stage_instances: [],
        guild_scheduled_events: [],
        soundboard_sounds: [],
      },
    ];
  }

  private remember(user: APIUser): APIUser {
    this.users.set(user.id, user);
    return user;
  }

  private serveFile(path: string, response: ServerResponse): void {
    const file = this.messages.file(path);
    if (!file) return void response.writeHead(404).end();
    response.writeHead(200, { "Content-Type": file.contentType, "Content-Length": file.data.length }).end(file.data);
  }

  private dispatchToGuild(event: string, intent: number, data: unknown): void {
    this.gateway.dispatch(event, (session) => (hasIntent(session, intent) ? data : null));
  }
}

