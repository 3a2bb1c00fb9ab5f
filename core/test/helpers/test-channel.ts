/**
 * A loopback channel for tests: messages go in through `say` with any sender, verb,
 * topic or reply target, and every send is recorded and gets a platform id `p<n>`.
 */
import { definePlugin, type ChannelContext, type InboundMessage, type OutboundChunk } from "@arizuko/sdk";

export interface SayOptions {
  sender?: string;
  verb?: InboundMessage["verb"];
  topic?: string;
  replyTo?: string;
  direct?: boolean;
  id?: string;
}

export function testChannel(options: { name?: string; platform?: string } = {}) {
  const platform = options.platform ?? "test";
  const sent: OutboundChunk[] = [];
  const platformIds = new Map<string, string>();
  let context: ChannelContext | null = null;
  let next = 1;
  let messageNumber = 1;

  const plugin = definePlugin({
    name: options.name ?? `${platform}-channel`,
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      host.channels.register({
        name: platform,
        prefixes: [`${platform}:bot/`],
        capabilities: { send: true, reply: true, maxTextLength: 4000 },
        start(ctx) {
          context = ctx;
        },
        async send(chunk) {
          sent.push(chunk);
          const platformMessageId = `p${next++}`;
          platformIds.set(chunk.messageId, platformMessageId);
          return { platformMessageId };
        },
      });
    },
  });

  /** Delivers a message to `chat` (the part after `<platform>:bot/`); resolves once stored. */
  const say = (chat: string, text: string, extra: SayOptions = {}) => {
    const platformId = extra.id ?? `m${messageNumber++}`;
    return context!
      .inbound({
        chat: `${platform}:bot/${chat}`,
        platformId,
        verb: extra.verb ?? (extra.replyTo ? "reply" : "message"),
        sender: extra.sender ?? `${platform}:alice`,
        text,
        ...(extra.topic !== undefined && { topic: extra.topic }),
        ...(extra.replyTo !== undefined && { replyTo: extra.replyTo }),
        ...(extra.direct !== undefined && { direct: extra.direct }),
      })
      .then((result) => ({ ...result, platformId }));
  };

  return { plugin, sent, say, platformIds, jid: (chat: string) => `${platform}:bot/${chat}` };
}
