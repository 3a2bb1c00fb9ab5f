/**
 * WhatsApp all the way through: the fake WhatsApp → the whatsapp plugin → admission and
 * the route table → the demo agent → the answer sent back through the fake, quoting
 * the message it answers, in the chat it came from. Chatter in the group stays context.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import type { FakeWhatsApp } from "./fake-whatsapp.js";
import { rows, startWithWhatsApp, waitConnected } from "./helpers.js";
import { ALICE, GROUP, newFake, PHONE } from "./world.js";

let fake: FakeWhatsApp | undefined;
let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  await fake?.stop();
  instance = undefined;
  fake = undefined;
});

describe("whatsapp end to end", () => {
  it("group mention, direct chat, chatter", async () => {
    fake = await newFake();
    // The rows docs/channels/whatsapp.md gives: groups engage on mentions and replies, direct chats on everything.
    instance = await startWithWhatsApp({
      routes: [
        { match: `chat=whatsapp:${PHONE}/*@g.us verb=mention`, target: "main" },
        { match: `chat=whatsapp:${PHONE}/*@g.us verb=reply`, target: "main" },
        { match: `chat=whatsapp:${PHONE}/*@s.whatsapp.net`, target: "main" },
      ],
    });
    await waitConnected(instance);

    await fake.send({ chat: GROUP, from: ALICE, text: "just chatting" });
    const question = await fake.send({ chat: GROUP, from: ALICE, text: `@${PHONE} status?`, mentions: [`${PHONE}@s.whatsapp.net`] });
    const direct = await fake.send({ chat: ALICE, from: ALICE, text: "hello in private" });

    const answers = () => fake!.sent().filter((send) => "text" in send.content);
    await waitFor(() => answers().length === 2, { timeoutMs: 20_000, what: "two answers" });
    const byChat = Object.fromEntries(answers().map((send) => [send.jid, send]));
    expect((byChat[GROUP]!.content as { text: string }).text).toMatch(/You said: @491700000001 status\?$/);
    expect(byChat[GROUP]!.message.message?.extendedTextMessage?.contextInfo).toMatchObject({ stanzaId: question.key.id, participant: ALICE });
    expect((byChat[ALICE]!.content as { text: string }).text).toMatch(/You said: hello in private$/);
    expect(byChat[ALICE]!.options?.quoted?.key.id).toBe(direct.key.id);

    expect(rows(instance).find((row) => row.text === "just chatting")?.state).toBe("context");
    const delivered = () => instance!.kernel.store.db.prepare("SELECT platform_message_id AS id FROM outbox WHERE state = 'delivered' ORDER BY platform_message_id").all() as Array<{ id: string }>;
    await waitFor(() => delivered().length === 2, { what: "both deliveries recorded" });
    expect(delivered().map((row) => row.id)).toEqual(answers().map((send) => send.message.key.id).sort());
  });
});
