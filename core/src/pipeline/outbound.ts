/**
 * Outbound: turns an agent reply or a host notice into stored messages and outbox
 * rows. The reply is split to the chat's channel limit before anything is stored, one
 * message row and one outbox row per platform message, in one transaction; delivery
 * is the outbox's job from there.
 */
import { localJid, splitText, type Attachment, type OutboundFile } from "@arizuko/sdk";
import type { Hooks } from "../hooks/hooks.js";
import type { Store } from "../store/index.js";
import type { MessageRecord } from "../store/messages.js";
import type { ChannelRegistry } from "./channels.js";

/** Split size when no channel owns the chat yet (its plugin failed or is not loaded). */
export const FALLBACK_TEXT_LIMIT = 4096;

/** Sender of host notices (failure notices, breaker warnings, command answers). */
export const HOST_SENDER = "host:arizuko";

export interface ReplyInput {
  chat: string;
  /** Platform thread to send into. */
  topic: string;
  /** Topic of the session replying, when it is not the platform thread (`#name` topics). */
  routeTopic?: string;
  text: string;
  group: string | null;
  /** Platform id of the message answered; set on the first chunk only. */
  replyTo: string | null;
  /** A file to send with the first chunk; `text` is its caption and may be empty. */
  file?: OutboundFile;
}

function attachmentOf(file: OutboundFile): Attachment {
  const kind = file.mime.startsWith("image/") ? "image" : file.mime.startsWith("audio/") ? "audio" : file.mime.startsWith("video/") ? "video" : "file";
  return { kind, mime: file.mime, size: file.size, name: file.name, ref: `file:${file.path}` };
}

export interface DeliveryTarget {
  kick(chat: string): void;
}

export class Outbound {
  constructor(
    private readonly store: Store,
    private readonly channels: ChannelRegistry,
    private readonly hooks: Hooks,
    private readonly delivery: DeliveryTarget,
  ) {}

  /** Stores an agent reply for `runId` and counts it as delivered output of the run. */
  reply(input: ReplyInput & { group: string; runId: string }): MessageRecord[] {
    return this.persist(input, "message", localJid(input.group), input.runId);
  }

  /** Stores a host notice to a chat. */
  notice(input: ReplyInput): MessageRecord[] {
    return this.persist(input, "notice", HOST_SENDER, null);
  }

  private persist(input: ReplyInput, kind: "message" | "notice", sender: string, runId: string | null): MessageRecord[] {
    const limit = this.channels.entryForChat(input.chat)?.channel.capabilities.maxTextLength ?? FALLBACK_TEXT_LIMIT;
    const split = splitText(input.text, limit);
    const chunks = input.file && split.length === 0 ? [""] : split;
    if (chunks.length === 0) return [];

    const now = Date.now();
    const rows = this.store.transaction(() => {
      const stored = chunks.map((text, index) => {
        const row = this.store.messages.insertOutbound(
          {
            chat: input.chat,
            topic: input.topic,
            ...(input.routeTopic !== undefined && { routeTopic: input.routeTopic }),
            kind,
            sender,
            text,
            group: input.group,
            runId,
            replyTo: index === 0 ? input.replyTo : null,
            attachments: index === 0 && input.file ? [attachmentOf(input.file)] : null,
          },
          now,
        );
        const file = index === 0 ? input.file : undefined;
        this.store.outbox.enqueue(
          [{ messageSeq: row.seq, chat: input.chat, topic: input.topic, replyTo: row.replyTo, text, index, count: chunks.length, file }],
          now,
        );
        return row;
      });
      if (runId !== null) this.store.runs.countDelivered(runId);
      return stored;
    });

    for (const row of rows) void this.hooks.observe("afterStore", { message: row });
    this.delivery.kick(input.chat);
    return rows;
  }
}
