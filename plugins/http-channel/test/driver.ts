/**
 * Plays a platform behind an HTTP adapter for the conformance kit: the kit's events
 * become the adapter's POST /v1/messages bodies (as the Telegram adapter shapes them),
 * and what the host sends arrives at the adapter's POST /send.
 */
import { sendOutcomeOf, type PlatformDriver, type PlatformEvent } from "@arizuko/sdk/testing";
// @ts-expect-error: a plain ES module fixture without types
import { TestAdapter } from "./fixtures/adapter.mjs";

export const SECRET = "conformance-secret-0123456789";
/** The conformance chat as the adapter names it, and as arizuko does (account = adapter name). */
export const ADAPTER_CHAT = "telegram:group/1001000000001";
export const CHAT = "telegram:telegram/group/1001000000001";

function body(event: PlatformEvent): Record<string, unknown> {
  const sender = event.sender.replace(/^telegram:user:/, "telegram:user/");
  const common = { chat_jid: ADAPTER_CHAT, sender, sender_name: sender, timestamp: Math.floor(Date.now() / 1000), is_group: true, source: "telegram" };
  switch (event.type) {
    case "message":
      return {
        ...common,
        id: event.id,
        content: event.text,
        ...(event.mention && { verb: "mention" }),
        ...(event.replyTo !== undefined && { reply_to: event.replyTo }),
        ...(event.topic !== undefined && { topic: event.topic }),
      };
    case "edit":
      // An edit names the edited message in reply_to and has an id of its own.
      return { ...common, id: `${event.id}:e:${event.revision}`, content: event.text, verb: "edit", reply_to: event.id };
    case "reaction":
      // As the Telegram adapter shapes it: the id does not name the sender.
      return { ...common, id: `${event.id}:r:${event.emoji}`, content: event.emoji, verb: "like", reaction: event.emoji, reply_to: event.id };
  }
}

export function adapterDriver(): PlatformDriver {
  const adapter = new TestAdapter({ gateway: "", secret: SECRET });
  const listeners: Array<(event: PlatformEvent) => void> = [];
  return {
    config: { secret: SECRET, healthIntervalMs: 100 },
    async connect(hostUrl) {
      adapter.gateway = hostUrl;
      if (adapter.port === 0) await adapter.listen();
      // The session token outlives a host restart: register only once.
      if (adapter.token === null) await adapter.register();
    },
    async deliver(event) {
      const answer = await adapter.deliver(body(event));
      // The HTTP response is the acknowledgement: the adapter drops the message after a 200.
      if (answer.status === 200 && answer.body.ok === true) for (const listener of listeners) listener(event);
    },
    onAck(listener) {
      listeners.push(listener);
    },
    sendAttempts: () =>
      adapter.sent.map((record: { body: { chat_jid: string; content: string; reply_to?: string; thread_id?: string }; at: number; status: number }) => ({
        chat: record.body.chat_jid.replace("telegram:", "telegram:telegram/"),
        text: record.body.content,
        replyTo: record.body.reply_to ?? null,
        topic: record.body.thread_id ?? "",
        at: record.at,
        outcome: sendOutcomeOf(record.status),
      })),
    failNextSend(failure) {
      if (failure.kind === "rate_limited") adapter.failures.push({ status: 429, body: { ok: false, error: "slow down", retry_after: failure.retryAfterMs / 1000 } });
      else if (failure.kind === "transient") adapter.failures.push({ status: 502, body: { ok: false, error: "telegram unreachable" } });
      else adapter.failures.push({ status: 400, body: { ok: false, error: "invalid request: chat not found" } });
    },
    disconnect: () => void adapter.close(),
    reconnect: () => void adapter.listen(),
    close: () => adapter.close(),
  };
}
