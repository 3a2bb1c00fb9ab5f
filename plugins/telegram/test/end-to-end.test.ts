/**
 * A Telegram message all the way through: the fake Bot API → the telegram plugin →
 * admission and the route table → the demo agent → the reply posted back to the fake.
 * The reply must reach the right chat and forum topic and quote the right message.
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
  it("replies in the topic and chat asked", async () => {
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

    // The chatter is stored as context and gets no reply; the deliveries keep Telegram's message ids.
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

  it("follows a reply chain back to the group that answered, by Telegram's message ids", async () => {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    instance = await startInstance({
      config: { plugins: [...DEFAULT_PLUGINS, { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 } }], admission: { telegram: { policy: "open" } } },
    });
    // The rows docs/channels/telegram.md gives for groups: mentions and replies engage, chatter does not.
    const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
    routes.add({ match: `chat=telegram:${BOT.id}/-* verb=mention`, target: "main" });
    routes.add({ match: `chat=telegram:${BOT.id}/-* verb=reply`, target: "main" });
    const group = { id: -1001000000006, type: "supergroup" as const, title: "Chain" };
    const from = { id: 111, is_bot: false, first_name: "Ada" };
    const date = Math.floor(Date.now() / 1000);

    fake.push(BOT.id, { message: { message_id: 40, date, chat: group, from, text: "@demo_helper_bot first", entities: [{ type: "mention", offset: 0, length: 16 }] } });
    await waitFor(() => fake!.sent.length === 1, { timeoutMs: 20_000, what: "the first answer" });
    const answer = fake.sent[0]!;
    expect(answer).toMatchObject({ chat_id: String(group.id), reply_parameters: { message_id: 40 } });

    const botMessage = { message_id: answer.message_id, date, chat: group, from: { id: BOT.id, is_bot: true, first_name: "Demo", username: BOT.username }, text: answer.text };
    fake.push(BOT.id, { message: { message_id: 41, date, chat: group, from, text: "and then?", reply_to_message: botMessage } });
    fake.push(BOT.id, { message: { message_id: 42, date, chat: group, from, text: "unrelated chatter" } });
    await waitFor(() => fake!.sent.length === 2, { timeoutMs: 20_000, what: "the answer to the reply" });
    expect(fake.sent[1]).toMatchObject({ chat_id: String(group.id), reply_parameters: { message_id: 41 }, text: expect.stringMatching(/You said: and then\?$/) });

    const rows = instance.kernel.store.messages.recent(`telegram:${BOT.id}/${group.id}`, 10);
    const reply = rows.find((row) => row.platformId === "41")!;
    expect(reply).toMatchObject({ verb: "reply", replyTo: String(answer.message_id), group: "main", routeLayer: "route-reply" });
    expect(rows.find((row) => row.platformId === "42")!.state).toBe("context");
  });

  it("marks and clears a blocked chat", async () => {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    instance = await startInstance({
      config: { plugins: [...DEFAULT_PLUGINS, { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 } }], admission: { telegram: { policy: "open" } } },
    });
    const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
    routes.add({ match: `chat=telegram:${BOT.id}/222`, target: "main" });
    const blocked = () => instance!.kernel.store.db.prepare("SELECT chat_id, reason FROM telegram_blocked_chats").all();
    const from = { id: 222, is_bot: false, first_name: "Bo" };
    const chat = { id: 222, type: "private" as const, first_name: "Bo" };

    fake.failNextSend({ error_code: 403, description: "Forbidden: bot was blocked by the user" });
    fake.push(BOT.id, { message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat, from, text: "hi" } });
    await waitFor(() => blocked().length === 1, { timeoutMs: 20_000, what: "the chat marked" });
    expect(blocked()).toEqual([{ chat_id: "222", reason: "Forbidden: bot was blocked by the user" }]);

    fake.push(BOT.id, { message: { message_id: 2, date: Math.floor(Date.now() / 1000), chat, from, text: "I unblocked you" } });
    await waitFor(() => blocked().length === 0, { what: "the mark cleared" });
    await waitFor(() => fake!.sent.some((sent) => sent.status === 200 && sent.chat_id === "222"), { what: "the next reply" });
  });

  it("replies once to a replayed update (B05)", async () => {
    fake = new FakeBotApi();
    fake.addBot(BOT);
    await fake.start();
    const config = {
      plugins: [...DEFAULT_PLUGINS, { use: "telegram", config: { bots: [{ token: BOT.token }], apiRoot: fake.url, pollTimeoutS: 1 } }],
      admission: { telegram: { policy: "open" } },
    };
    instance = await startInstance({ config });
    const dir = instance.dir;
    const routes = () => instance!.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
    routes().add({ match: `chat=telegram:${BOT.id}/-1001000000002`, target: "main" });
    const status = { update_id: 70001, message: { message_id: 501, date: Math.floor(Date.now() / 1000), chat: { id: -1001000000002, type: "supergroup" as const, title: "Ops" }, from: { id: 111, is_bot: false, first_name: "Ada" }, text: "/status" } };

    fake.push(BOT.id, status);
    await waitFor(() => fake!.sent.length === 1, { timeoutMs: 20_000, what: "the first reply" });
    // As if the process died after storing the update but before saving the offset past it.
    instance.kernel.store.db.prepare("UPDATE telegram_offsets SET next_update = 70001").run();
    await instance.stop();
    fake.push(BOT.id, status);

    const before = fake.polls.get(BOT.id)!.length;
    instance = await startInstance({ dir, config });
    const after = () => fake!.polls.get(BOT.id)!.slice(before);
    await waitFor(() => after().includes(70002), { timeoutMs: 20_000, what: "the replay taken and the offset moved past it" });
    expect(after()[0]).toBe(70001);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const inbound = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE chat = ? AND direction = 'in'").get(`telegram:${BOT.id}/-1001000000002`) as { n: number };
    expect(inbound.n).toBe(1);
    expect(fake.sent).toHaveLength(1);
  });
});
