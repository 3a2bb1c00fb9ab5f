/**
 * Inbound: a channel's message is checked, committed (group commit), and only then
 * acknowledged to the channel; admission and routing follow after the commit.
 * Nothing is acknowledged that is not on disk.
 */
import type { InboundMessage, InboundResult } from "@arizuko/sdk";
import { hasPrefix, tryParseJid } from "@arizuko/sdk";
import Type from "typebox";
import { Compile } from "typebox/compile";
import type { Logger } from "pino";
import { fieldName } from "../config/validate.js";
import { errors } from "../errors.js";
import type { Hooks } from "../hooks/hooks.js";
import type { Store } from "../store/index.js";
import { GroupCommit } from "../store/group-commit.js";
import type { InsertResult, MessageRecord } from "../store/messages.js";
import type { ChannelEntry } from "./channels.js";

/** Longest message text stored, in UTF-16 code units; platforms cap theirs well below. */
export const MAX_TEXT_LENGTH = 100_000;

const Id = (maxLength: number) => Type.String({ minLength: 1, maxLength });

const InboundSchema = Type.Object({
  chat: Id(512),
  platformId: Id(512),
  kind: Type.Optional(Type.Enum(["message", "edit", "reaction"])),
  verb: Type.Enum(["message", "mention", "reply", "edit", "reaction", "join"]),
  sender: Id(512),
  senderName: Type.Optional(Type.String({ maxLength: 256 })),
  text: Type.String({ maxLength: MAX_TEXT_LENGTH }),
  topic: Type.Optional(Type.String({ maxLength: 256 })),
  replyTo: Type.Optional(Id(512)),
  target: Type.Optional(Id(512)),
  attachments: Type.Optional(
    Type.Array(
      Type.Object({
        kind: Type.Enum(["image", "audio", "voice", "video", "file", "sticker"]),
        mime: Type.String({ maxLength: 255 }),
        size: Type.Optional(Type.Integer({ minimum: 0 })),
        name: Type.Optional(Type.String({ maxLength: 1024 })),
        ref: Id(4096),
      }),
      { maxItems: 64 },
    ),
  ),
  ts: Type.Optional(Type.Integer({ minimum: 0 })),
  chatName: Type.Optional(Type.String({ maxLength: 256 })),
});

/** Compiled once: every inbound message of every channel passes through it. */
const inboundValidator = Compile(InboundSchema);

export type AfterCommit = (message: MessageRecord, channel: ChannelEntry) => void;

export class Inbound {
  private readonly commits: GroupCommit<InboundMessage, InsertResult>;
  /** Called for each newly stored message, after its commit. */
  afterCommit: AfterCommit = () => {};

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
      this.log.debug({ channel: entry.channel.name, chat: message.chat, platformId: message.platformId }, "redelivered message ignored");
      return { id, seq, duplicate: true };
    }

    void this.hooks.observe("afterStore", { message: record });
    this.afterCommit(record, entry);
    return { id, seq, duplicate: false };
  }

  private check(entry: ChannelEntry, message: InboundMessage): void {
    const channel = entry.channel.name;
    if (!inboundValidator.Check(message)) {
      const first = inboundValidator.Errors(message)[0];
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
