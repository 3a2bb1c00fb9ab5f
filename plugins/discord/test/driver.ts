/**
 * The conformance kit's driver for the Discord channel: a fake Discord per property,
 * with the kit's events posted in the fake guild's text channel by two users. Discord's
 * ids are snowflakes the fake makes, so the kit's ids are mapped as events arrive. A
 * reply is a reply to the bot, as the plugin counts replies. The gateway has no
 * acknowledgements, so the driver has no `onAck`.
 */
import { sendOutcomeOf, type PlatformDriver, type PlatformEvent } from "@arizuko/sdk/testing";
import type { APIMessage, APIUser } from "discord.js";
import { FakeDiscord } from "./fake-discord.js";
import { snowflake } from "./fake-discord-model.js";

export interface DiscordWorld {
  fake: FakeDiscord;
  chat: string;
  senders: [string, string];
}

/** Fixed ids, so that every fake of a test run has the same chat and senders. */
export const IDS = { bot: "900000000000000001", textChannel: "900000000000000010", ada: "900000000000000101", bo: "900000000000000102" };

/** Starts a fake Discord with two users, ada and bo; the conformance chat is its text channel. */
export async function discordWorld(): Promise<DiscordWorld & { users: [APIUser, APIUser] }> {
  const fake = new FakeDiscord({ heartbeatIntervalMs: 5000, ids: { bot: IDS.bot, textChannel: IDS.textChannel } });
  await fake.start();
  const users: [APIUser, APIUser] = [fake.addUser("ada", IDS.ada), fake.addUser("bo", IDS.bo)];
  return { fake, users, chat: `discord:${fake.applicationId}/${fake.textChannel.id}`, senders: [`discord:${users[0].id}`, `discord:${users[1].id}`] };
}

export function pluginConfig(fake: FakeDiscord): Record<string, unknown> {
  return { bots: [{ token: fake.token }], apiRoot: fake.apiBase, cdnRoot: fake.url, backfillLimit: 50 };
}

export function discordDriver(world: DiscordWorld & { users: [APIUser, APIUser] }): PlatformDriver {
  const { fake, users } = world;
  const userOf = (sender: string) => (sender === world.senders[0] ? users[0] : users[1]);
  const messages = new Map<string, APIMessage>();
  const threads = new Map<string, string>();
  const edits = new Map<string, string>();
  const madeUp = new Map<string, string>();
  const unknownId = (id: string) => {
    if (!madeUp.has(id)) madeUp.set(id, snowflake());
    return madeUp.get(id)!;
  };

  const threadOf = (topic: string) => {
    if (!threads.has(topic)) threads.set(topic, fake.emitThreadCreate(topic, { owner: users[0] }).id);
    return threads.get(topic)!;
  };

  function deliverMessage(event: Extract<PlatformEvent, { type: "message" }>): void {
    const known = messages.get(event.id);
    if (known) return void fake.messages.redeliver(known);
    const message = fake.emitMessage({
      author: userOf(event.sender),
      content: event.mention ? `<@${fake.bot.id}> ${event.text}` : event.text,
      ...(event.topic !== undefined && { channelId: threadOf(event.topic) }),
      ...(event.replyTo !== undefined && { replyTo: messages.get(event.replyTo)!.id, referencedAuthor: fake.bot }),
    });
    messages.set(event.id, message);
  }

  return {
    config: pluginConfig(fake),
    // A message the kit names but never delivered gets a made-up snowflake, as ids on Discord are.
    platformId: (kind, id) => (kind === "topic" ? threadOf(id) : (messages.get(id)?.id ?? unknownId(id))),
    deliver(event) {
      if (event.type === "message") return deliverMessage(event);
      const message = messages.get(event.id)!;
      if (event.type === "edit") {
        const key = `${event.id}#${event.revision}`;
        if (edits.get(event.id) === key) return void fake.messages.redeliverUpdate(message);
        edits.set(event.id, key);
        fake.emitMessageUpdate(message.channel_id, message.id, event.text);
        return;
      }
      fake.messages.addReaction(message, userOf(event.sender), { id: null, name: event.emoji });
    },
    sendAttempts: () =>
      fake.callsTo("POST /channels/:channelId/messages").map((call) => {
        const body = call.body as { content?: string; message_reference?: { message_id: string } };
        const channelId = call.params.channelId!;
        const thread = fake.guild.threads.find((candidate) => candidate.id === channelId);
        return {
          chat: `discord:${fake.applicationId}/${thread?.parent_id ?? channelId}`,
          text: body.content ?? "",
          replyTo: body.message_reference?.message_id ?? null,
          topic: thread ? thread.id : "",
          at: call.at,
          outcome: sendOutcomeOf(call.status),
        };
      }),
    failNextSend(failure) {
      const route = "POST /channels/:channelId/messages";
      if (failure.kind === "rate_limited") fake.failNext(route, { status: 429, retryAfter: failure.retryAfterMs / 1000 });
      else if (failure.kind === "transient") fake.failNext(route, { status: 502 });
      else fake.failNext(route, { status: 403, code: 50001, message: "Missing Access" });
    },
    close: () => fake.stop(),
  };
}
