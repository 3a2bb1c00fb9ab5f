/**
 * Message shapes: what a channel hands the host, what the store keeps, and what the
 * outbox hands back to a channel's `send()`.
 */

/** How a message addresses the bot. Channels pass every message; routing decides engagement. */
export type Verb = "message" | "mention" | "reply" | "edit" | "reaction" | "join";
export const VERBS: readonly Verb[] = ["message", "mention", "reply", "edit", "reaction", "join"];

/**
 * Row kinds. An edit or a reaction is its own row pointing at the original (`target`);
 * a `notice` is text the host itself sends (failure notices, breaker warnings).
 */
export type MessageKind = "message" | "edit" | "reaction" | "notice";
export type InboundKind = Exclude<MessageKind, "notice">;

/**
 * Message states. `pending → running → done | failed`; `context` rows are stored for
 * reference (not admitted, not routed, observe mode, replies) and are never queued.
 */
export type MessageState = "pending" | "running" | "done" | "failed" | "context";

export type AttachmentKind = "image" | "audio" | "voice" | "video" | "file" | "sticker";

/** The one attachment shape across channels; `ref` is whatever the channel's `fetchAttachment` understands. */
export interface Attachment {
  kind: AttachmentKind;
  /** MIME type as the platform reported it, e.g. `audio/ogg`. */
  mime: string;
  /** Size in bytes, when known. */
  size?: number;
  name?: string;
  ref: string;
  /**
   * URL that fetches the bytes with a plain GET, when the channel offers one: a platform
   * URL, or a path on arizuko's own HTTP server (starting with `/`) that is its own
   * credential. Never a URL carrying the channel's secrets.
   */
  url?: string;
}

/**
 * The platform message an event's id stands for, the part before any `#`: what a reply
 * to an edit, a reaction or a message the host derived (a delegation, a command's
 * follow-up) must point at on the platform.
 */
export function platformMessageOf(platformId: string): string {
  const hash = platformId.indexOf("#");
  return hash < 0 ? platformId : platformId.slice(0, hash);
}

/** What a channel passes to `ctx.inbound()`. */
export interface InboundMessage {
  /** Chat JID, `<platform>:<account>/<chat>`, under a prefix the channel owns. */
  chat: string;
  /**
   * The platform's id for this event, unique per `(chat, kind)`: the message id; for an
   * edit `<message id>#<edit revision or date>`; for a reaction `<message id>#<sender>#<emoji>`.
   * A redelivered event carries the same id and is stored once. The message id itself
   * never contains `#`: what follows one names an event on that message.
   */
  platformId: string;
  /** Defaults to `message`. */
  kind?: InboundKind;
  verb: Verb;
  /** Sender JID, `<platform>:<user>`. */
  sender: string;
  /** Display name; only a name, never an identity. */
  senderName?: string;
  text: string;
  /** Platform-native thread (forum topic, Discord thread); empty or absent for the main thread. */
  topic?: string;
  /** Platform id of the message this one replies to. */
  replyTo?: string;
  /** For edits and reactions: platform id of the original message. */
  target?: string;
  attachments?: Attachment[];
  /** Platform timestamp in milliseconds since the Unix epoch; defaults to the time of storing. */
  ts?: number;
  /** Display name of the chat, kept for operators. */
  chatName?: string;
  /** True for a one-to-one chat with the bot; pairing codes are sent only there or when the bot is addressed. */
  direct?: boolean;
  /**
   * Why the message is stored for reference only, e.g. `history from before the account
   * was linked`. Such a message is never routed and never starts a run; later runs of its
   * chat and topic see it as context. Absent for ordinary messages.
   */
  context?: string;
}

/** What `ctx.inbound()` resolves to, once the message is committed. */
export interface InboundResult {
  /** arizuko's id of the stored row. */
  id: string;
  /** Position in the store's total order; SSE event ids are these. */
  seq: number;
  /** True when this `(chat, platformId, kind)` was already stored; nothing new was written. */
  duplicate: boolean;
}

export type Direction = "in" | "out";

/** A message as the store keeps it; the same object reaches hooks and the read API. */
export interface StoredMessage {
  seq: number;
  id: string;
  chat: string;
  platformId: string;
  kind: MessageKind;
  direction: Direction;
  verb: Verb | null;
  sender: string;
  senderName: string | null;
  text: string;
  topic: string;
  replyTo: string | null;
  target: string | null;
  attachments: Attachment[];
  state: MessageState;
  /** Group folder the message was routed to, or that wrote it; null before routing or with no route. */
  group: string | null;
  /** Run that took (or wrote) this message. */
  runId: string | null;
  /**
   * Topic of the (group, chat, topic) session the message belongs to: the platform
   * thread (`topic`) unless routing chose another (`#name`); null before routing.
   */
  routeTopic: string | null;
  /** Routing layer (or `admission`, `control`) that decided this message's fate. */
  routeLayer: string | null;
  /** Why the message went where it went, in words, e.g. `route #1 platform=web → main`. */
  routeReason: string | null;
  /** Platform timestamp, ms since the Unix epoch. */
  ts: number;
  /** When the row was committed, ms since the Unix epoch. */
  storedAt: number;
  /** Text the agent sees when routing stripped a prefix (`#topic text`); null when it is `text`. */
  routeText: string | null;
  /** For a delegated message: where it came from. */
  origin: { chat: string; topic: string; message: string } | null;
  /** Delegations between the person who wrote and this message: 0 for a person's own message. */
  depth: number;
}

/** One platform message's worth of an outbound reply, handed to a channel's `send()`. */
export interface OutboundChunk {
  /** Outbox row id; doubles as the idempotency key of this send. */
  outboxId: string;
  /** arizuko id of the stored outbound message row this chunk belongs to. */
  messageId: string;
  chat: string;
  topic: string;
  /** The original Markdown chunk; the channel formats it at send time. */
  text: string;
  /** Platform id of the message this reply answers, when the channel supports replies. */
  replyTo: string | null;
  /** 0-based position of this chunk and the number of chunks in the reply. */
  index: number;
  count: number;
  /** Send attempts before this one. */
  attempts: number;
  /** A file to send (`text` is its caption); delivered through `sendFile()`. */
  file?: OutboundFile;
}

/** A file on the host's disk an agent asked to send, checked to lie inside its group folder. */
export interface OutboundFile {
  /** Absolute path on the host. */
  path: string;
  /** File name shown to the recipient. */
  name: string;
  mime: string;
  size: number;
}

export interface SendResult {
  /** The id the platform gave the sent message; routing follows reply chains by it. */
  platformMessageId: string;
}
