/**
 * A loopback channel for tests: messages go in through `say` with any sender, verb,
 * topic or reply target, and every send is recorded and gets a platform id `p<n>`.
 */
import { ArizukoError, definePlugin, type Attachment, type ChannelCapabilities, type ChannelContext, type InboundMessage, type OutboundChunk } from "@arizuko/sdk";

export interface SayOptions {
  sender?: string;
  verb?: InboundMessage["verb"];
  topic?: string;
  replyTo?: string;
  direct?: boolean;
  id?: string;
  /** Stores the message as context only, with this reason. */
  context?: string;
  attachments?: Attachment[];
}

export interface TestChannelOptions {
  name?: string;
  platform?: string;
  account?: string;
  capabilities?: Partial<ChannelCapabilities>;
  history?: boolean;
  /** Files `fetchAttachment` serves by ref; without it the channel cannot download attachments. */
  files?: Map<string, { data: Uint8Array; mime: string }>;
  /** Origins the channel's attachment URLs come from. */
  attachmentOrigins?: string[];
}

export function testChannel(options: TestChannelOptions = {}) {
  const platform = options.platform ?? "test";
  const account = options.account ?? "bot";
  const sent: OutboundChunk[] = [];
  /** When each chunk of `sent` was sent. */
  const sentAt: number[] = [];
  /** Every send() call, failed ones included. */
  const attempts: Array<{ chat: string; at: number }> = [];
  /** Errors the next send() calls throw, in order. */
  const failures: Error[] = [];
  /** What history() returns, with the `since` of each call (with `history: true`). */
  const backlog: InboundMessage[] = [];
  const historyCalls: number[] = [];
  const platformIds = new Map<string, string>();
  /** react(), edit() and delete() calls, in order. */
  const actions: Array<{ action: "react" | "edit" | "delete"; chat: string; id: string; value?: string }> = [];
  let context: ChannelContext | null = null;
  let next = 1;
  let messageNumber = 1;

  async function send(chunk: OutboundChunk) {
    attempts.push({ chat: chunk.chat, at: Date.now() });
    const failure = failures.shift();
    if (failure) throw failure;
    sent.push(chunk);
    sentAt.push(Date.now());
    const platformMessageId = `p${next++}`;
    platformIds.set(chunk.messageId, platformMessageId);
    return { platformMessageId };
  }

  const plugin = definePlugin({
    name: options.name ?? `${platform}-channel`,
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      host.channels.register({
        name: platform,
        prefixes: [`${platform}:${account}/`],
        capabilities: { send: true, reply: true, maxTextLength: 4000, ...options.capabilities },
        start(ctx) {
          context = ctx;
        },
        ...(options.history && {
          history: async (since: number) => {
            historyCalls.push(since);
            return [...backlog];
          },
        }),
        ...(options.files && {
          fetchAttachment: async (ref: string) => {
            const file = options.files!.get(ref);
            if (!file) throw new ArizukoError("ARZ_ERR_FILE_NOT_FOUND", `no file ${ref}`, { statusCode: 404 });
            return file;
          },
        }),
        ...(options.attachmentOrigins && { attachmentOrigins: options.attachmentOrigins }),
        send,
        // Files are recorded in `sent` like text, with their `file`.
        sendFile: send,
        async react(chat: string, id: string, emoji: string) {
          actions.push({ action: "react", chat, id, value: emoji });
        },
        async edit(chat: string, id: string, text: string) {
          actions.push({ action: "edit", chat, id, value: text });
        },
        async delete(chat: string, id: string) {
          actions.push({ action: "delete", chat, id });
        },
      });
    },
  });

  /** Delivers a message to `chat` (the part after `<platform>:<account>/`); resolves once stored. */
  const say = (chat: string, text: string, extra: SayOptions = {}) => {
    const platformId = extra.id ?? `m${messageNumber++}`;
    return context!
      .inbound({
        chat: `${platform}:${account}/${chat}`,
        platformId,
        verb: extra.verb ?? (extra.replyTo ? "reply" : "message"),
        sender: extra.sender ?? `${platform}:alice`,
        text,
        ...(extra.topic !== undefined && { topic: extra.topic }),
        ...(extra.replyTo !== undefined && { replyTo: extra.replyTo }),
        ...(extra.direct !== undefined && { direct: extra.direct }),
        ...(extra.context !== undefined && { context: extra.context }),
        ...(extra.attachments !== undefined && { attachments: extra.attachments }),
      })
      .then((result) => ({ ...result, platformId }));
  };

  /** Reports a health state as the channel would. */
  const setStatus = (state: "ok" | "stale" | "disconnected", detail?: string) => context!.setStatus(state, detail);

  return { plugin, sent, sentAt, attempts, failures, backlog, historyCalls, actions, setStatus, say, platformIds, jid: (chat: string) => `${platform}:${account}/${chat}` };
}
