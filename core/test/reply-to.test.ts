/**
 * The reply-to id of an outbound message survives the outbox and reaches the channel's
 * send(): the store and delivery half of a fault where replies arrived as loose lines
 * because the drain loop read only chat and text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { testChannel } from "./helpers/test-channel.js";
import { waitFor } from "./helpers/wait.js";

const telegram = testChannel({ platform: "telegram", account: "600000001" });
const whatsapp = testChannel({ platform: "whatsapp", account: "15550000001" });
const discord = testChannel({ platform: "discord", account: "800000000000000001" });

let instance: TestInstance;
beforeAll(async () => {
  instance = await startInstance({ plugins: [telegram, whatsapp, discord].map((channel) => ({ definition: channel.plugin })) });
  await waitFor(() => instance.kernel.channels.list().length === 4, { what: "the channels" });
});
afterAll(() => instance.dispose());

describe("reply-to through the outbox", () => {
  it.each([
    ["telegram", telegram, "-1001000000007", "555"],
    ["whatsapp", whatsapp, "120363000000000001@g.us", "3EB0Q0001"],
    ["discord", discord, "700000000000000001", "900000000000000001"],
  ] as const)("reaches %s send() with the original's id", async (_platform, channel, chat, replyTo) => {
    const jid = channel.jid(chat);
    instance.kernel.outbound.notice({ chat: jid, topic: "", text: "Here is the answer", group: null, replyTo });

    const chunk = await waitFor(() => channel.sent.find((candidate) => candidate.chat === jid), { what: `the send to ${jid}` });
    expect(chunk).toMatchObject({ text: "Here is the answer", replyTo });
    const row = instance.kernel.store.db.prepare("SELECT reply_to, state FROM outbox WHERE chat = ?").get(jid);
    expect(row).toEqual({ reply_to: replyTo, state: "delivered" });
  });

  it("puts the reply-to on the first chunk of a split reply only", async () => {
    const jid = telegram.jid("-1001000000008");
    instance.kernel.outbound.notice({ chat: jid, topic: "", text: "word ".repeat(1700).trim(), group: null, replyTo: "556" });

    const chunks = await waitFor(() => {
      const sent = telegram.sent.filter((candidate) => candidate.chat === jid);
      return sent.length === 3 ? sent : undefined;
    }, { what: "three chunks" });
    expect(chunks.map((chunk) => chunk.replyTo)).toEqual(["556", null, null]);
  });
});
