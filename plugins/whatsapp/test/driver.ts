/**
 * The conformance kit's driver for the WhatsApp channel: a fake WhatsApp per property,
 * the kit's events posted in a group by two people. WhatsApp message ids are opaque
 * strings, so the kit's ids are used as they are. A reply quotes one of the account's
 * own messages, as the plugin counts replies; a mention names the account's JID.
 * Baileys acknowledges messages before emitting them to the plugin, so there is no `onAck`.
 */
import type { PlatformDriver, PlatformEvent, SendAttempt } from "@arizuko/sdk/testing";
import { proto, type WAMessage } from "baileys";
import type { FakeWhatsApp } from "./fake-whatsapp.js";
import { ALICE, BOB, GROUP, newFake, PHONE, pluginConfig } from "./world.js";

const senderOf = (jid: string) => (jid === `whatsapp:${ALICE}` ? ALICE : BOB);

export async function whatsappDriver(): Promise<PlatformDriver> {
  const fake = await newFake();
  const built = new Map<string, WAMessage>();

  /** Delivers the message with this id again, or builds and delivers it. */
  async function post(id: string, build: () => Promise<WAMessage>): Promise<void> {
    const known = built.get(id);
    if (known) return fake.deliver(known);
    const message = await build();
    built.set(id, message);
    fake.deliver(message);
  }

  const targetKey = (id: string) => ({ remoteJid: GROUP, id, fromMe: false, participant: built.get(id)?.key.participant ?? ALICE });

  function deliver(event: PlatformEvent): Promise<void> {
    const from = senderOf(event.sender);
    switch (event.type) {
      case "message":
        return post(event.id, () =>
          fake.build({
            chat: GROUP,
            from,
            id: event.id,
            text: event.text,
            ...(event.mention && { mentions: [`${PHONE}@s.whatsapp.net`] }),
            ...(event.replyTo && { quoted: { key: { remoteJid: GROUP, id: event.replyTo, fromMe: true }, message: { conversation: "an earlier answer" } } }),
          }),
        );
      case "edit":
        return post(`edit-${event.id}-${event.revision}`, () =>
          fake.build({
            chat: GROUP,
            from,
            id: `edit-${event.id}-${event.revision}`,
            content: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT, key: targetKey(event.id), editedMessage: { conversation: event.text }, timestampMs: Date.now() } },
          }),
        );
      case "reaction":
        return post(`react-${event.id}-${from}-${event.emoji}`, () =>
          fake.build({
            chat: GROUP,
            from,
            id: `react-${event.id}-${from.slice(0, 12)}-${[...event.emoji].length}`,
            content: { reactionMessage: { key: targetKey(event.id), text: event.emoji, senderTimestampMs: Date.now() } },
          }),
        );
    }
  }

  return {
    config: pluginConfig(),
    deliver,
    sendAttempts: () => textSends(fake),
    failNextSend(failure) {
      if (failure.kind === "rate_limited") fake.failNextSend(429, "rate-overlimit");
      else if (failure.kind === "transient") fake.failNextSend(428, "Connection Closed");
      else fake.failNextSend(403, "not-authorized");
    },
    disconnect() {
      fake.reachable = false;
      fake.drop();
    },
    reconnect() {
      fake.reachable = true;
    },
    close: () => fake.stop(),
  };
}

/** Returns the text messages the channel tried to send, as the kit reads them. */
export function textSends(fake: FakeWhatsApp): SendAttempt[] {
  return fake.sends
    .filter((send) => "text" in send.content && !("edit" in send.content))
    .map((send) => ({
      chat: `whatsapp:${PHONE}/${send.jid}`,
      text: (send.content as { text: string }).text,
      replyTo: send.options?.quoted?.key.id ?? null,
      topic: "",
      at: send.at,
      outcome: send.outcome,
    }));
}
