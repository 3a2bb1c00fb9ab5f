/**
 * A Telegram message all the way through: the fake Bot API → the telegram plugin →
 * admission and the route table → the demo agent → the reply posted back to the fake,
 * in the right chat and forum topic, answering the right message.
 */
import { DEFAULT_PLUGINS } from "../../../core/src/config/schema.js";
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { FakeBotApi } from "./fake-bot-api.js";

const BOT = { id: 600000001, username: "demo_helper_bot", token: "600000001:TEST-token-end-to-end" };
const FORUM = { id: -1001000000004, type: "supergroup" as const, title: "Team", is_forum: true as const };

let fake: FakeBotApi | undefined;
let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

describe("telegram end to end", () => {
  it("answers a mention in a forum topic and a private message, each where it was asked", async () => {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    instance = await startInstance({
      config: {
        plugins: [...DEFAULT_PLUGINS, { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1, typingRefreshMs: 300 } }],
        // The demo agent "types" for 1.5 s, so the indicator has to be refreshed.
        agent: { harness: "demo", options: { delayMs: 1500 } },
        admission: { telegram: { policy: "open" } },
      },
    });
    // The group engages on mentions only; the direct chat on everything.
    const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
    routes.add({ match: `chat=telegram:${BOT.id}/-* verb=mention`, target: "main" });
    routes.add({ match: `chat=telegram:${BOT.id}/111`, target: "main" });

    const date = Math.floor(Date.now() / 1000);
    const from = { id: 111, is_bot: false, first_name: "Ada" };
    fake.push(BOT.id, { message: { message_id: 30, date, chat: FORUM, from, text: "just chatting", message_thread_id: 42, is_topic_message: true } });
    fake.push(BOT.id, {
      message: { message_id: 31, date, chat: FORUM, from, text: "@demo_helper_bot status?", entities: [{ type: "mention", offset: 0, length: 16 }], message_thread_id: 42, is_topic_message: true },
    });
    fake.push(BOT.id, { message: { message_id: 12, date, chat: { id: 111, type: "private", first_name: "Ada" }, from, text: "hello in private" } });

    await waitFor(() => fake!.sent.length === 2, { timeoutMs: 20_000, what: "two replies" });
    const byChat = Object.fromEntries(fake.sent.map((sent) => [sent.chat_id, sent]));
    expect(byChat[String(FORUM.id)]).toMatchObject({ message_thread_id: 42, reply_parameters: { message_id: 31 }, parse_mode: "HTML", text: expect.stringMatching(/You said: @demo_helper_bot status\?$/) });
    expect(byChat["111"]).toMatchObject({ reply_parameters: { message_id: 12 }, text: expect.stringMatching(/You said: hello in private$/) });
    expect(byChat["111"]!.message_thread_id).toBeUndefined();

    // The chatter is kept as context, not answered; the deliveries keep Telegram's message ids.
    const forumRows = instance.kernel.store.messages.recent(`telegram:${BOT.id}/${FORUM.id}`, 10);
    const chatter = forumRows.find((row) => row.platformId === "30")!;
    expect(chatter.state).toBe("context");
    // "typing…" in the forum topic while its run was going, and no more once it ended.
    const forumReply = byChat[String(FORUM.id)]!;
    const typing = () => fake!.actions.filter((action) => action.chat_id === String(FORUM.id));
    expect(typing().filter((action) => action.at <= forumReply.at).length).toBeGreaterThanOrEqual(3);
    expect(typing().every((action) => action.action === "typing" && action.message_thread_id === 42)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const settled = typing().length;
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(typing()).toHaveLength(settled);

    const delivered = () => instance!.kernel.store.db.prepare("SELECT platform_message_id AS id FROM outbox WHERE state = 'delivered' ORDER BY platform_message_id").all() as Array<{ id: string }>;
    await waitFor(() => delivered().length === 2, { what: "both deliveries recorded" });
    expect(delivered().map((row) => row.id)).toEqual(fake.sent.map((sent) => String(sent.message_id)).sort());
  });
});
