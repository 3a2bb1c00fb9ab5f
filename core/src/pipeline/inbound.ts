/**
 * Inbound: a channel's message is checked, committed (group commit), and only then
 * acknowledged to the channel; admission and routing follow after the commit.
 * Nothing is acknowledged that is not on disk.
 */
import type { InboundMessage, InboundResult } from "@arizuko/sdk";
import { hasPrefix, tryParseJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import { compileStrict, fieldName } from "../config/validate.js";
import { errors } from "../errors.js";
import type { Hooks } from "../hooks/hooks.js";
import type { Store } from "../store/index.js";
import { GroupCommit } from "../store/group-commit.js";
import type { InsertResult, MessageRecord } from "../store/messages.js";
import type { ChannelEntry } from "./channels.js";

/** Longest message text stored, in UTF-16 code units; platforms cap theirs well below. */
export const MAX_TEXT_LENGTH = 100_000;

const id = (maxLength: number) => ({ type: "string", minLength: 1, maxLength });

const InboundSchema = {
  type: "object",
  required: ["chat", "platformId", "verb", "sender", "text"],
  properties: {
    chat: id(512),
    platformId: id(512),
    kind: { enum: ["message", "edit", "reaction"] },
    verb: { enum: ["message", "mention", "reply", "edit", "reaction", "join"] },
    sender: id(512),
    senderName: { type: "string", maxLength: 256 },
    text: { type: "string", maxLength: MAX_TEXT_LENGTH },
    topic: { type: "string", maxLength: 256 },
    replyTo: id(512),
    target: id(512),
    attachments: {
      type: "array",
      maxItems: 64,
      items: {
        type: "object",
        required: ["kind", "mime", "ref"],
        properties: {
          kind: { enum: ["image", "audio", "voice", "video", "file", "sticker"] },
          mime: { type: "string", maxLength: 255 },
          size: { type: "integer", minimum: 0 },
          name: { type: "string", maxLength: 1024 },
          ref: id(4096),
        },
      },
    },
    ts: { type: "integer", minimum: 0 },
    chatName: { type: "string", maxLength: 256 },
    context: { type: "string", minLength: 1, maxLength: 256 },
  },
};

/** Compiled on the first message; every inbound message of every channel passes through it. */
let inboundValidator: ReturnType<typeof compileStrict<InboundMessage>> | null = null;

export type AfterCommit = (message: MessageRecord, channel: ChannelEntry) => void;

export class Inbound {
  private readonly commits: GroupCommit<InboundMessage, InsertResult>;
  /** Called for each newly stored message, after its commit. */
  afterCommit: AfterCommit = () => {};
  /** Messages stored, and redeliveries recognised and stored nothing, since start. */
  readonly counters = { stored: 0, duplicates: 0 };

  constructor(
    private readonly store: Store,
    private readonly hooks: Hooks,
    private readonly log: Logger,
  ) {
    this.commits = new GroupCommit(
      (items) => store.transaction(() => items.map((item) => store.messages.insertInbound(item, Date.now()))),
      (item) => store.transaction(() => store.messages.insertInbound(item, Date.now())),
      log,
      "inbound commit",
    );
  }

  /** Checks and stores one message for `entry`'s channel; resolves after the commit. */
  async accept(entry: ChannelEntry, message: InboundMessage): Promise<InboundResult> {
    this.check(entry, message);
    const { id, seq, duplicate, record } = await this.commits.submit(message);
    if (duplicate || !record) {
      this.counters.duplicates += 1;
      this.log.debug({ channel: entry.channel.name, chat: message.chat, platformId: message.platformId }, "redelivered message ignored");
      return { id, seq, duplicate: true };
    }

    this.counters.stored += 1;
    void this.hooks.observe("afterStore", { message: record });
    // Context-only rows were settled by the insert; they never enter routing.
    if (message.context === undefined) this.afterCommit(record, entry);
    return { id, seq, duplicate: false };
  }

  private check(entry: ChannelEntry, message: InboundMessage): void {
    const channel = entry.channel.name;
    inboundValidator ??= compileStrict<InboundMessage>(InboundSchema);
    if (!inboundValidator(message)) {
      const first = inboundValidator.errors?.[0];
      const problem = first ? `${fieldName(first.instancePath)} ${first.message}` : "not an object";
      throw errors.invalidMessage(channel, problem);
    }
    if (!entry.channel.prefixes.some((prefix) => hasPrefix(message.chat, prefix)) || tryParseJid(message.chat)?.kind !== "chat") {
      throw errors.chatNotOwned(message.chat, channel);
    }
    const sender = tryParseJid(message.sender);
    if (sender?.kind !== "sender") {
      throw errors.invalidMessage(channel, `sender ${JSON.stringify(message.sender)} is not a sender JID (<platform>:<user>)`);
    }
    const kind = message.kind ?? "message";
    if (kind !== "message" && message.target === undefined) {
      throw errors.invalidMessage(channel, `a ${kind} needs target, the platform id of the original message`);
    }
  }

  /** Messages waiting for their commit. */
  get backlog(): number {
    return this.commits.depth;
  }
}
