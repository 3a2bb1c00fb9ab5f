/**
 * The Discord channel with the real discord.js client against a fake Discord on
 * 127.0.0.1: what messages become, what replies look like on Discord, catching up after
 * a restart or an outage, and start-up errors. B02 (a closing fence pushing a chunk past
 * 2000 characters) is replayed with its exact values.
 */
import { createTestHost, type TestHost } from "@arizuko/sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import plugin from "../src/index.js";
import { pluginConfig } from "./driver.js";
import { FakeDiscord } from "./fake-discord.js";

let fake: FakeDiscord;
let host: TestHost | undefined;

afterEach(async () => {
  await host?.dispose();
  host = undefined;
  await fake?.stop();
});

async function startHost(options: { config?: Record<string, unknown>; fakeOptions?: ConstructorParameters<typeof FakeDiscord>[0] } = {}): Promise<TestHost> {
  fake = new FakeDiscord({ heartbeatIntervalMs: 5000, ...options.fakeOptions });
  await fake.start();
  host = await createTestHost({ plugin, config: { ...pluginConfig(fake), ...options.config } });
  await until(() => host!.channels()[0]?.state === "ok", "the bot to connect");
  return host;
}

const jid = (channelId: string) => `discord:${fake.applicationId}/${channelId}`;

async function until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const posts = () => fake.callsTo("POST /channels/:channelId/messages");

describe("discord messages", () => {
  it("map a direct message as addressed to the bot", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    const dm = fake.dmChannelWith(ada);
    fake.emitMessage({ author: ada, channelId: dm.id, content: "hello in private" });

    const [row] = await until(() => host!.messages(jid(dm.id)).length === 1 && host!.messages(jid(dm.id)), "the direct message");
    expect(row).toMatchObject({ verb: "mention", sender: `discord:${ada.id}`, senderName: "ada", text: "hello in private", topic: "" });
  });

  it("see a mention of the bot and of its managed role", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    const other = fake.addRole("moderators");
    fake.emitMessage({ author: ada, content: `<@${fake.bot.id}> status?` });
    fake.emitMessage({ author: ada, content: `<@&${fake.botRole.id}> anyone?` });
    fake.emitMessage({ author: ada, content: `<@&${other.id}> not the bot` });
    fake.emitMessage({ author: ada, content: "just chatting" });

    const rows = await until(() => host!.messages(jid(fake.textChannel.id)).length === 4 && host!.messages(jid(fake.textChannel.id)), "four messages");
    expect(rows.map((row) => row.verb)).toEqual(["mention", "mention", "message", "message"]);
  });

  it("follow a reply chain by Discord's message ids", async () => {
    const started = await startHost();
    const ada = fake.addUser("ada");
    const first = fake.emitMessage({ author: ada, content: `<@${fake.bot.id}> first` });
    await until(() => started.messages(jid(fake.textChannel.id)).length === 1, "the first message");
    started.reply(jid(fake.textChannel.id), "an answer", { replyTo: first.id });
    await until(() => posts().some((call) => call.status === 200), "the answer");
    const answer = fake.messages.inChannel(fake.textChannel.id).find((message) => message.author.id === fake.bot.id)!;
    expect(answer.message_reference?.message_id).toBe(first.id);

    fake.emitMessage({ author: ada, content: "and then?", replyTo: answer.id });
    const rows = await until(() => started.messages(jid(fake.textChannel.id)).length === 2 && started.messages(jid(fake.textChannel.id)), "the reply");
    expect(rows[1]).toMatchObject({ verb: "reply", replyTo: answer.id });
  });

  it("store a content edit once and ignore a link preview", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    const message = fake.emitMessage({ author: ada, content: "see https://example.test/a" });
    await until(() => host!.messages(jid(fake.textChannel.id)).length === 1, "the message");
    // Discord adds the preview as an update that changes only the embeds.
    fake.messages.update(message, { embeds: [{ type: "link", url: "https://example.test/a", title: "A page" }] });
    fake.emitMessageUpdate(fake.textChannel.id, message.id, "see https://example.test/b");

    const rows = await until(() => host!.messages(jid(fake.textChannel.id)).length === 2 && host!.messages(jid(fake.textChannel.id)), "the edit");
    expect(rows[1]).toMatchObject({ kind: "edit", verb: "edit", target: message.id, text: "see https://example.test/b" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(host!.messages(jid(fake.textChannel.id))).toHaveLength(2);
  });

  it("take an attachment with its mime, size, name and CDN URL", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    fake.emitMessage({ author: ada, content: "a report", attachments: [{ filename: "report.pdf", data: Buffer.from("%PDF-1.7 report"), contentType: "application/pdf" }] });

    const [row] = await until(() => host!.messages(jid(fake.textChannel.id)).length === 1 && host!.messages(jid(fake.textChannel.id)), "the message");
    const [attachment] = row!.attachments;
    expect(attachment).toMatchObject({ kind: "file", mime: "application/pdf", size: 15, name: "report.pdf" });
    expect(attachment!.url).toMatch(new RegExp(`^${fake.url}/attachments/`));
    const download = await fetch(attachment!.url!);
    expect(await download.text()).toBe("%PDF-1.7 report");
  });

  it("skip own and other bots' messages", async () => {
    await startHost();
    const robot = { ...fake.addUser("robot"), bot: true };
    fake.users.set(robot.id, robot);
    fake.emitMessage({ author: fake.bot, content: "my own words" });
    fake.emitMessage({ author: robot, content: "beep" });
    fake.emitMessage({ author: fake.addUser("ada"), content: "a person" });

    const rows = await until(() => host!.messages(jid(fake.textChannel.id)).length >= 1 && host!.messages(jid(fake.textChannel.id)), "a message");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(host!.messages(jid(fake.textChannel.id)).map((row) => row.text)).toEqual(["a person"]);
    expect(rows).toHaveLength(1);
  });
});

describe("discord reactions", () => {
  it("store a person's reaction, not a bot's, and none in a denied channel", async () => {
    const started = await startHost();
    const denied = fake.addTextChannel("off-limits");
    await started.dispose();
    host = await createTestHost({ plugin, config: { ...pluginConfig(fake), bots: [{ token: fake.token, denyChannels: [denied.id] }] } });
    await until(() => host!.channels()[0]?.state === "ok", "the bot to connect");
    const ada = fake.addUser("ada");
    const robot = { ...fake.addUser("robot"), bot: true };
    const message = fake.emitMessage({ author: ada, content: "react to me" });
    const elsewhere = fake.emitMessage({ author: ada, channelId: denied.id, content: "not here" });
    await until(() => host!.messages(jid(fake.textChannel.id)).length === 1, "the message");

    fake.messages.addReaction(message, robot, { id: null, name: "🤖" });
    fake.messages.addReaction(elsewhere, ada, { id: null, name: "👀" });
    fake.messages.addReaction(message, ada, { id: null, name: "👍" });

    const rows = await until(() => host!.messages().length === 2 && host!.messages(), "the reaction");
    expect(rows[1]).toMatchObject({ kind: "reaction", verb: "reaction", target: message.id, text: "👍", sender: `discord:${ada.id}`, platformId: `${message.id}#discord:${ada.id}#👍` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(host!.messages()).toHaveLength(2);
  });
});

describe("discord threads", () => {
  it("store a thread's message as a topic and answer into the thread", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    const thread = fake.emitThreadCreate("deploys", { owner: ada });
    const question = fake.emitMessage({ author: ada, channelId: thread.id, content: `<@${fake.bot.id}> status of the deploy?` });

    const [row] = await until(() => host!.messages(jid(fake.textChannel.id)).length === 1 && host!.messages(jid(fake.textChannel.id)), "the thread message");
    expect(row).toMatchObject({ topic: thread.id, verb: "mention", platformId: question.id });
    host!.reply(jid(fake.textChannel.id), "deployed", { replyTo: question.id, topic: thread.id });

    const call = await until(() => posts().find((candidate) => candidate.status === 200), "the answer");
    expect(call.params.channelId).toBe(thread.id);
    expect(call.body).toMatchObject({ content: "deployed", message_reference: { message_id: question.id } });
  });
});

describe("discord replies", () => {
  it("split a fenced reply under 2000 characters with balanced fences (B02)", async () => {
    await startHost();
    const lines = Array.from({ length: 150 }, (_, index) => `const v_${index} = ${index}; // padding`);
    const text = "Here:\n```ts\n" + lines.join("\n") + "\n```\nDone.";
    host!.reply(jid(fake.textChannel.id), text);

    const sent = await until(() => {
      const ok = posts().filter((call) => call.status === 200);
      return ok.some((call) => (call.body as { content: string }).content.endsWith("Done.")) && ok;
    }, "every chunk");
    const contents = sent.map((call) => (call.body as { content: string }).content);
    expect(contents.length).toBeGreaterThan(1);
    for (const content of contents) {
      expect([...content].length).toBeLessThanOrEqual(2000);
      expect(content.split("\n").filter((line) => /^```/.test(line)).length % 2).toBe(0);
    }
    expect(contents.slice(1).every((content) => content.startsWith("```ts\n"))).toBe(true);
    expect(posts().every((call) => call.status === 200)).toBe(true);
  });

  it("split fence sweep and long info string (B02)", async () => {
    await startHost();
    const info = "ts " + "x".repeat(57);
    for (const length of [1990, 1995, 2000]) {
      host!.reply(jid(fake.textChannel.id), "```ts\n" + "y".repeat(length) + "\n```");
    }
    host!.reply(jid(fake.textChannel.id), "```" + info + "\n" + "z".repeat(3000) + "\n```");

    // Discord takes five messages in five seconds per channel, so the chunks are paced.
    const chat = jid(fake.textChannel.id);
    await until(() => host!.outbox(chat).length > 0 && host!.outbox(chat).every((row) => row.state === "delivered"), "every chunk delivered", 20_000);
    expect(posts().length).toBe(host!.outbox(chat).length);
    expect(posts().every((call) => call.status === 200)).toBe(true);
    expect(posts().every((call) => [...(call.body as { content: string }).content].length <= 2000)).toBe(true);
  });

  it("wait Discord's retry_after on a rate limit and lose nothing", async () => {
    await startHost();
    fake.failNext("POST /channels/:channelId/messages", { status: 429, retryAfter: 3 });
    host!.reply(jid(fake.textChannel.id), "wait for it");

    const [first, second] = await until(() => posts().length >= 2 && posts(), "the second attempt", 15_000);
    expect(first!.status).toBe(429);
    expect(second!.status).toBe(200);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2950);
  });
});

describe("discord catch-up", () => {
  it("store what was posted while arizuko was down, once", async () => {
    const started = await startHost();
    const ada = fake.addUser("ada");
    fake.emitMessage({ author: ada, content: "before" });
    await until(() => started.messages(jid(fake.textChannel.id)).length === 1, "the first message");

    await started.stop();
    for (const text of ["while down 1", "while down 2"]) fake.emitMessage({ author: ada, content: text });
    await started.restart();

    const rows = await until(() => started.messages(jid(fake.textChannel.id)).length === 3 && started.messages(jid(fake.textChannel.id)), "the missed messages");
    expect(rows.map((row) => row.text)).toEqual(["before", "while down 1", "while down 2"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started.inbound().duplicates).toBe(0);
  });

  it("backfill a channel after a lost gateway session, without duplicates", async () => {
    await startHost();
    const ada = fake.addUser("ada");
    fake.emitMessage({ author: ada, content: "first" });
    await until(() => host!.messages(jid(fake.textChannel.id)).length === 1, "the first message");

    // A session Discord no longer resumes: events sent meanwhile are not replayed.
    fake.dropConnection({ invalidateSession: true });
    await until(() => host!.channels()[0]!.state === "disconnected", "the channel to notice");
    fake.emitMessage({ author: ada, content: "missed" });

    const rows = await until(() => host!.messages(jid(fake.textChannel.id)).length === 2 && host!.messages(jid(fake.textChannel.id)), "the backfill", 20_000);
    expect(rows.map((row) => row.text)).toEqual(["first", "missed"]);
    await until(() => host!.channels()[0]!.state === "ok", "the channel ok again", 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(host!.messages(jid(fake.textChannel.id))).toHaveLength(2);
  });
});

describe("discord start-up", () => {
  it("fail with an error naming a token Discord refuses", async () => {
    fake = new FakeDiscord();
    await fake.start();
    const token = fake.token;
    fake.resetToken(`${token.split(".")[0]}.GfAkE0.another-secret`);
    host = await createTestHost({ plugin, config: { ...pluginConfig(fake), bots: [{ token }] } });

    const plugins = await until(() => host!.plugins().discord?.state === "failed" && host!.plugins(), "the plugin to fail");
    expect(plugins.discord!.error).toMatch(new RegExp(`^discord bot ${fake.applicationId}: Discord refused the token \\(.*\\); check the bot's token in the discord plugin's config$`));
  });

  it("say which intent to turn on when message content is not allowed", async () => {
    fake = new FakeDiscord({ enabledPrivilegedIntents: 0 });
    await fake.start();
    host = await createTestHost({ plugin, config: pluginConfig(fake) });

    const plugins = await until(() => host!.plugins().discord?.state === "failed" && host!.plugins(), "the plugin to fail");
    expect(plugins.discord!.error).toContain("turn on Message Content Intent under Bot → Privileged Gateway Intents in the Developer Portal");
  });

  it("reject a bot listed twice", async () => {
    fake = new FakeDiscord();
    await expect(createTestHost({ plugin, config: { bots: [{ token: fake.token }, { token: fake.token }] } })).rejects.toThrow(
      `bots[1].token: bot ${fake.applicationId} is already configured at bots[0]; list each bot once`,
    );
  });

  it("reject a token that names no bot, without printing it", async () => {
    await expect(createTestHost({ plugin, config: { bots: [{ token: "bm90LWFuLWlk.GfAkE0.secret-part" }] } })).rejects.toThrow(
      "bots[0].token: its first part does not encode a bot id; copy the whole token the Developer Portal shows",
    );
  });
});
