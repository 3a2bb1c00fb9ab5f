/**
 * The fake Discord of fake-discord.ts, driven by the real discord.js v14 Client. The tests
 * pin down what the Discord channel plugin will rely on: how login, inbound messages,
 * sends, rate limits, errors, resume and refused intents surface in discord.js.
 * Every test also checks that no socket was opened to a host other than 127.0.0.1.
 */
import dc from "node:diagnostics_channel";
import { once } from "node:events";
import type { Socket } from "node:net";
import {
  Client,
  DiscordAPIError,
  DiscordjsError,
  Events,
  GatewayIntentBits,
  Partials,
  RateLimitError,
  RESTEvents,
  type ClientEvents,
  type ClientOptions,
  type Message,
  type RateLimitData,
  type TextChannel,
} from "discord.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { INTENTS } from "../src/bot.js";
import { FakeDiscord, type FakeDiscordOptions } from "./fake-discord.js";

const INTENT_BITS = INTENTS.reduce((all, bit) => all | bit, 0);

/**
 * How long a test waits for one discord.js event. discord.js pauses 0.5 s before it reconnects,
 * and delays an IDENTIFY within 5 s of the previous one by up to 6.5 s more.
 */
const EVENT_TIMEOUT_MS = 10_000;

// Every TCP connection this test process opens, as "lookup <host>" or "connect <address>".
const connections: string[] = [];
const watchSocket = (message: unknown): void => {
  const { socket } = message as { socket: Socket };
  // A lookup happens only for a host name; connecting to an IP literal skips it.
  socket.once("lookup", (_error: Error | null, _address: string, _family: number, host: string) => connections.push(`lookup ${host}`));
  socket.once("connect", () => connections.push(`connect ${socket.remoteAddress}`));
};

let fake: FakeDiscord;
const clients: Client[] = [];

beforeAll(() => dc.subscribe("net.client.socket", watchSocket));
afterAll(() => dc.unsubscribe("net.client.socket", watchSocket));

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  await fake?.stop();
  const elsewhere = connections.splice(0).filter((entry) => entry !== "connect 127.0.0.1");
  expect(elsewhere, "sockets opened to hosts other than 127.0.0.1").toEqual([]);
});

async function startFake(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  fake = new FakeDiscord(options);
  await fake.start();
  return fake;
}

/** Makes a discord.js Client aimed at the fake: `rest.api`, `rest.cdn` and `rest.mediaProxy` all point at it. */
function newClient(options: Partial<ClientOptions> = {}): Client {
  const client = new Client({
    intents: INTENTS,
    partials: [Partials.Channel],
    ...options,
    rest: { ...fake.restOptions, ...options.rest },
  });
  clients.push(client);
  return client;
}

async function loggedIn(options: Partial<ClientOptions> = {}): Promise<Client<true>> {
  const client = newClient(options);
  const ready = nextEvent(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return client as Client<true>;
}

/** Resolves with the arguments of the next `event`, or rejects after EVENT_TIMEOUT_MS. */
function nextEvent<E extends keyof ClientEvents>(client: Client, event: E): Promise<ClientEvents[E]> {
  return once(client, event, { signal: AbortSignal.timeout(EVENT_TIMEOUT_MS) }) as Promise<ClientEvents[E]>;
}

/** Resolves with the next message `predicate` accepts. */
function nextMessage(client: Client, predicate: (message: Message) => boolean): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for messageCreate")), EVENT_TIMEOUT_MS);
    const listener = (message: Message): void => {
      if (!predicate(message)) return;
      clearTimeout(timer);
      client.off(Events.MessageCreate, listener);
      resolve(message);
    };
    client.on(Events.MessageCreate, listener);
  });
}

function generalChannel(client: Client): TextChannel {
  const channel = client.channels.cache.get(fake.textChannel.id);
  if (!channel?.isTextBased() || channel.isDMBased() || channel.isThread()) throw new Error("general channel is not cached as a text channel");
  return channel as TextChannel;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("login", () => {
  it("fires clientReady with the guild cached", async () => {
    await startFake();
    const client = await loggedIn();

    expect(client.user.id).toBe(fake.bot.id);
    expect(client.application.id).toBe(fake.applicationId);
    const guild = client.guilds.cache.get(fake.guild.id);
    expect(guild?.channels.cache.has(fake.textChannel.id)).toBe(true);
    expect(guild?.members.me?.roles.cache.has(fake.botRole.id)).toBe(true);
    expect(guild?.roles.botRoleFor(client.user)?.id).toBe(fake.botRole.id);
    expect(fake.gateway.identifies.map((identify) => identify.intents)).toEqual([INTENT_BITS]);
    expect(fake.callsTo("GET /gateway/bot")).toHaveLength(1);
  });

  it("rejects an invalid token with TokenInvalid", async () => {
    await startFake();
    const client = newClient();

    const error = await client.login("not-the-token").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DiscordjsError);
    expect((error as DiscordjsError).code).toBe("TokenInvalid");
    expect(fake.callsTo("GET /gateway/bot").map((call) => call.status)).toEqual([401]);
    expect(fake.gateway.identifies).toEqual([]);
  });

  it("rejects disallowed intents with 4014", async () => {
    await startFake({ enabledPrivilegedIntents: 0 });
    const client = newClient();
    const disconnected = nextEvent(client, Events.ShardDisconnect);
    const shardError = nextEvent(client, Events.ShardError);

    const error = await client.login(fake.token).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("Used disallowed intents");
    expect((await shardError)[0].message).toBe("Used disallowed intents");
    expect((await disconnected)[0].code).toBe(4014);
    expect(fake.gateway.identifies.map((identify) => identify.rejectedWith)).toEqual([4014]);
    expect(fake.gateway.identifies[0]!.intents & GatewayIntentBits.MessageContent).toBe(GatewayIntentBits.MessageContent);
  });

  it("stops at 4004 when the token was reset", async () => {
    await startFake();
    const client = await loggedIn();
    const disconnected = nextEvent(client, Events.ShardDisconnect);
    const shardError = nextEvent(client, Events.ShardError);

    fake.resetToken("a-new-token");
    fake.dropConnection();

    expect((await disconnected)[0].code).toBe(4004);
    expect((await shardError)[0].message).toBe("Authentication failed");
    expect(fake.gateway.resumes.map((resume) => resume.replayed)).toEqual([null]);
    const closedByFake = () => fake.gateway.closes.filter((close) => close.by === "fake").map((close) => close.code);
    await until(() => closedByFake().length === 2, "the fake to record the 4004 close");
    expect(closedByFake()).toEqual([1006, 4004]);
  });
});

describe("inbound messages", () => {
  it("delivers content, mentions and attachments", async () => {
    await startFake();
    const client = await loggedIn();
    const alice = fake.addUser("alice");
    const helpers = fake.addRole("helpers");
    const received = nextMessage(client, (message) => message.author.id === alice.id);

    const sent = fake.emitMessage({
      author: alice,
      content: `<@${fake.bot.id}> please ask <@&${helpers.id}>`,
      attachments: [{ filename: "notes.txt", data: "remember the milk", contentType: "text/plain" }],
    });
    const message = await received;

    expect(message.id).toBe(sent.id);
    expect(message.content).toBe(`<@${fake.bot.id}> please ask <@&${helpers.id}>`);
    expect(message.guildId).toBe(fake.guild.id);
    expect(message.mentions.users.has(fake.bot.id)).toBe(true);
    expect(message.mentions.roles.has(helpers.id)).toBe(true);
    const attachment = message.attachments.first();
    expect(attachment?.name).toBe("notes.txt");
    expect(attachment?.size).toBe(17);
    expect(await (await fetch(attachment!.url)).text()).toBe("remember the milk");
  });

  it("blanks content without the MessageContent intent", async () => {
    await startFake();
    const client = await loggedIn({ intents: INTENTS.filter((intent) => intent !== GatewayIntentBits.MessageContent) });
    const alice = fake.addUser("alice");
    const received: Message[] = [];
    client.on(Events.MessageCreate, (message) => received.push(message));

    fake.emitMessage({ author: alice, content: "not for the bot", attachments: [{ filename: "a.txt", data: "a" }] });
    fake.emitMessage({ author: alice, content: `<@${fake.bot.id}> for the bot` });
    await until(() => received.length === 2, "two messages");

    expect(received[0]?.content).toBe("");
    expect(received[0]?.attachments.size).toBe(0);
    expect(received[1]?.content).toBe(`<@${fake.bot.id}> for the bot`);
  });

  it("drops DMs without Partials.Channel", async () => {
    await startFake();
    const withPartial = await loggedIn();
    const withoutPartial = await loggedIn({ partials: [] });
    const alice = fake.addUser("alice");
    const dm = fake.dmChannelWith(alice);
    const seenWithout: string[] = [];
    withoutPartial.on(Events.MessageCreate, (message) => seenWithout.push(message.content));
    const dmWithPartial = nextMessage(withPartial, (message) => message.channelId === dm.id);
    const guildWithout = nextMessage(withoutPartial, (message) => message.channelId === fake.textChannel.id);

    fake.emitMessage({ author: alice, channelId: dm.id, content: "a direct message" });
    fake.emitMessage({ author: alice, content: "a guild message" });

    expect((await dmWithPartial).channel.isDMBased()).toBe(true);
    await guildWithout;
    expect(seenWithout).toEqual(["a guild message"]);
  });

  it("delivers thread creation and thread messages", async () => {
    await startFake();
    const client = await loggedIn();
    const alice = fake.addUser("alice");
    const created = nextEvent(client, Events.ThreadCreate);

    const thread = fake.emitThreadCreate("plans", { owner: alice });
    const [threadChannel, newlyCreated] = await created;
    const received = nextMessage(client, (message) => message.channelId === thread.id);
    fake.emitMessage({ author: alice, channelId: thread.id, content: "in the thread" });
    const message = await received;

    expect(threadChannel.parentId).toBe(fake.textChannel.id);
    expect(newlyCreated).toBe(true);
    expect(message.channel.isThread()).toBe(true);
    expect(message.content).toBe("in the thread");
  });

  it("delivers edits as messageUpdate", async () => {
    await startFake();
    const client = await loggedIn();
    const alice = fake.addUser("alice");
    const original = fake.emitMessage({ author: alice, content: "frist" });
    await nextMessage(client, (message) => message.id === original.id);
    const updated = nextEvent(client, Events.MessageUpdate);

    fake.emitMessageUpdate(original.channel_id, original.id, "first");
    const [before, after] = await updated;

    expect(before.content).toBe("frist");
    expect(after.content).toBe("first");
    expect(after.editedTimestamp).not.toBeNull();
  });
});

describe("outbound calls", () => {
  it("sends text and receives its echo", async () => {
    await startFake();
    const client = await loggedIn();
    const echo = nextMessage(client, (message) => message.author.id === fake.bot.id);

    const sent = await generalChannel(client).send("hello from the bot");

    const [call] = fake.callsTo("POST /channels/:channelId/messages");
    expect(call?.params.channelId).toBe(fake.textChannel.id);
    expect(call?.body).toMatchObject({ content: "hello from the bot" });
    expect(sent.id).toBe(fake.messages.inChannel(fake.textChannel.id)[0]?.id);
    expect((await echo).id).toBe(sent.id);
  });

  it("uploads a file as multipart", async () => {
    await startFake();
    const client = await loggedIn();

    const sent = await generalChannel(client).send({ content: "the report", files: [{ attachment: Buffer.from("id,total\n1,3\n"), name: "report.csv" }] });

    const [call] = fake.callsTo("POST /channels/:channelId/messages");
    expect(call?.body).toMatchObject({ content: "the report" });
    expect(call?.files.map((file) => [file.field, file.filename, file.data.toString()])).toEqual([["files[0]", "report.csv", "id,total\n1,3\n"]]);
    expect(sent.attachments.first()?.name).toBe("report.csv");
  });

  it("rejects content over 2000 characters with 50035", async () => {
    await startFake();
    const client = await loggedIn();
    const channel = generalChannel(client);

    const error = await channel.send("x".repeat(2001)).catch((caught: unknown) => caught);
    await channel.send("x".repeat(2000));

    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(400);
    expect((error as DiscordAPIError).code).toBe(50035);
    expect((error as DiscordAPIError).message).toContain("content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.");
    expect(fake.callsTo("POST /channels/:channelId/messages").map((call) => call.status)).toEqual([400, 200]);
  });

  it("edits, reacts, types and deletes", async () => {
    await startFake();
    const client = await loggedIn();
    const channel = generalChannel(client);
    const sent = await channel.send("draft");

    await sent.edit("final");
    await sent.react("👍");
    await channel.sendTyping();
    await sent.delete();

    expect(fake.callsTo("PATCH /channels/:channelId/messages/:messageId")[0]?.body).toMatchObject({ content: "final" });
    expect(fake.callsTo("PUT /channels/:channelId/messages/:messageId/reactions/:emoji/@me")[0]?.params.emoji).toBe("👍");
    expect(fake.callsTo("POST /channels/:channelId/typing")).toHaveLength(1);
    expect(fake.callsTo("DELETE /channels/:channelId/messages/:messageId").map((call) => call.status)).toEqual([204]);
    expect(fake.messages.inChannel(channel.id)).toEqual([]);
  });

  it("fetches history after a message", async () => {
    await startFake();
    const client = await loggedIn();
    const alice = fake.addUser("alice");
    const posted = ["one", "two", "three", "four"].map((content) => fake.emitMessage({ author: alice, content }));

    const page = await generalChannel(client).messages.fetch({ after: posted[0]!.id, limit: 2 });

    expect([...page.values()].map((message) => message.content)).toEqual(["three", "two"]);
    expect(fake.callsTo("GET /channels/:channelId/messages")[0]?.query).toEqual({ after: posted[0]!.id, limit: "2" });
  });

  it("fetches a channel and reports an unknown one", async () => {
    await startFake();
    const client = await loggedIn();

    const channel = await client.channels.fetch(fake.textChannel.id, { force: true });
    const error = await client.channels.fetch("1", { force: true }).catch((caught: unknown) => caught);

    expect(channel?.id).toBe(fake.textChannel.id);
    expect((error as DiscordAPIError).code).toBe(10003);
    expect(fake.callsTo("GET /channels/:channelId").map((call) => call.status)).toEqual([200, 404]);
  });
});

describe("rate limits and errors", () => {
  it("waits out a 429 and retries by default", async () => {
    await startFake();
    const client = await loggedIn();
    const rateLimited: RateLimitData[] = [];
    client.rest.on(RESTEvents.RateLimited, (data) => rateLimited.push(data));
    fake.failNext("POST /channels/:channelId/messages", { status: 429, retryAfter: 0.5 });
    const started = Date.now();

    await generalChannel(client).send("after the wait");

    // The bucket headers report 0 remaining until X-RateLimit-Reset-After, so discord.js waits that long, then retries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(fake.callsTo("POST /channels/:channelId/messages").map((call) => call.status)).toEqual([429, 200]);
    expect(rateLimited.map((data) => data.route)).toEqual(["/channels/:id/messages"]);
  });

  it("throws RateLimitError with rejectOnRateLimit", async () => {
    await startFake();
    const client = await loggedIn({ rest: { rejectOnRateLimit: () => true, offset: 0 } });
    const channel = generalChannel(client);
    await channel.send("learns the bucket");
    fake.failNext("POST /channels/:channelId/messages", { status: 429, retryAfter: 0.5 });

    const first = await channel.send("one").catch((caught: unknown) => caught);
    const second = await channel.send("two").catch((caught: unknown) => caught);

    expect(first).toBeInstanceOf(RateLimitError);
    const limited = first as RateLimitError;
    // retryAfter is Retry-After (whole seconds) in ms plus rest.offset; timeToReset follows X-RateLimit-Reset-After.
    expect(limited.retryAfter).toBe(1000);
    expect(limited.timeToReset).toBeLessThanOrEqual(500);
    expect(limited.global).toBe(false);
    expect(limited.method).toBe("POST");
    expect(limited.route).toBe("/channels/:id/messages");
    // The 429 reported no requests remaining in the bucket, so the second send is rejected before it leaves the client.
    expect(second).toBeInstanceOf(RateLimitError);
    expect((second as RateLimitError).timeToReset).toBeGreaterThan(0);
    expect(fake.callsTo("POST /channels/:channelId/messages")).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, limited.retryAfter));
    await channel.send("three");
    expect(fake.callsTo("POST /channels/:channelId/messages").map((call) => call.status)).toEqual([200, 429, 200]);
  });

  it("forgets a 429 on an unseen bucket", async () => {
    await startFake();
    const client = await loggedIn({ rest: { rejectOnRateLimit: () => true } });
    const channel = generalChannel(client);
    fake.failNext("POST /channels/:channelId/messages", { status: 429, retryAfter: 5 });

    const first = await channel.send("one").catch((caught: unknown) => caught);
    await channel.send("two");

    // The 429 named a bucket id discord.js had not seen, so the next send went to a fresh bucket and reached Discord.
    expect(first).toBeInstanceOf(RateLimitError);
    expect(fake.callsTo("POST /channels/:channelId/messages").map((call) => call.status)).toEqual([429, 200]);
  });

  it("marks a global 429 as global", async () => {
    await startFake();
    const client = await loggedIn({ rest: { rejectOnRateLimit: () => true } });
    fake.failNext("POST /channels/:channelId/messages", { status: 429, retryAfter: 0.2, global: true });

    const error = await generalChannel(client).send("x").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).global).toBe(true);
    expect((error as RateLimitError).scope).toBe("global");
  });

  it.each([
    { status: 403 as const, code: 50013, message: "Missing Permissions" },
    { status: 404 as const, code: 10003, message: "Unknown Channel" },
  ])("surfaces $status as DiscordAPIError $code", async ({ status, code, message }) => {
    await startFake();
    const client = await loggedIn();
    fake.failNext("POST /channels/:channelId/messages", { status });

    const error = await generalChannel(client).send("x").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(status);
    expect((error as DiscordAPIError).code).toBe(code);
    expect((error as DiscordAPIError).message).toBe(message);
  });

  it("drops the token after a 401", async () => {
    await startFake();
    const client = await loggedIn();
    const channel = generalChannel(client);
    fake.failNext("POST /channels/:channelId/messages", { status: 401 });

    const unauthorized = await channel.send("x").catch((caught: unknown) => caught);
    const next = await channel.send("y").catch((caught: unknown) => caught);

    expect((unauthorized as DiscordAPIError).status).toBe(401);
    expect((unauthorized as DiscordAPIError).code).toBe(0);
    expect((next as Error).message).toBe("Expected token to be set for this request, but none was present");
    expect(fake.callsTo("POST /channels/:channelId/messages")).toHaveLength(1);
  });
});

describe("gateway session", () => {
  it("acknowledges heartbeats", async () => {
    await startFake({ heartbeatIntervalMs: 50 });
    const client = await loggedIn();

    await until(() => fake.gateway.heartbeats >= 3, "three heartbeats");

    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
  });

  it("resumes and replays missed events", async () => {
    await startFake();
    const client = await loggedIn();
    const alice = fake.addUser("alice");
    const reconnecting = nextEvent(client, Events.ShardReconnecting);
    const resumed = nextEvent(client, Events.ShardResume);
    const received = nextMessage(client, (message) => message.content === "sent while away");

    expect(fake.dropConnection()).toBe(1);
    fake.emitMessage({ author: alice, content: "sent while away" });

    await reconnecting;
    await resumed;
    expect((await received).author.id).toBe(alice.id);
    expect(fake.gateway.resumes).toHaveLength(1);
    expect(fake.gateway.resumes[0]?.replayed).toBe(1);
    expect(fake.gateway.identifies).toHaveLength(1);
  });

  it("re-identifies after an invalidated session", async () => {
    await startFake();
    const client = await loggedIn();
    const readyAgain = nextEvent(client, Events.ShardReady);

    fake.dropConnection({ invalidateSession: true });
    await readyAgain;

    expect(fake.gateway.resumes.map((resume) => resume.replayed)).toEqual([null]);
    expect(fake.gateway.identifies).toHaveLength(2);
  });
});
