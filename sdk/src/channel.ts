/**
 * The channel contract: how a platform plugs into the host. A channel owns one or
 * more `<platform>:<account>/` JID prefixes, declares what it can do, turns platform
 * events into `InboundMessage`s and sends outbound chunks.
 */
import type { Logger } from "pino";
import type { InboundMessage, InboundResult, OutboundChunk, OutboundFile, SendResult } from "./messages.js";

/** Channel health, one enum for every platform. */
export type ChannelState = "connecting" | "ok" | "stale" | "disconnected";
export const CHANNEL_STATES: readonly ChannelState[] = ["connecting", "ok", "stale", "disconnected"];

export interface ChannelCapabilities {
  /** Every channel can send text. */
  send: true;
  /** Can send a message as a reply to another (`OutboundChunk.replyTo`). */
  reply?: boolean;
  sendFile?: boolean;
  /** Can show a typing indicator; the core shows it while a run of the chat works. */
  typing?: boolean;
  /**
   * Milliseconds between typing indicators while a run works, shorter than the time the
   * platform shows one (Telegram about 5 s, Discord about 10 s). Default 4000.
   */
  typingRefreshMs?: number;
  edit?: boolean;
  delete?: boolean;
  react?: boolean;
  /** Has platform-native threads, which arrive as topics. */
  threads?: boolean;
  /** Longest text one platform message may carry, in UTF-16 code units; the core splits replies to it. */
  maxTextLength: number;
  /** Send rates the platform allows; the outbox paces sends to stay within them. */
  rateLimits?: RateLimits;
  /**
   * `confirm(chunk)` can tell whether a send with the chunk's idempotency key
   * (`outboxId`) reached the platform; rows interrupted mid-send are then confirmed
   * instead of resent.
   */
  confirm?: boolean;
}

/** At most `messages` sends in any `perMs` milliseconds. */
export interface RateLimit {
  messages: number;
  perMs: number;
}

/** E.g. Telegram bots: one message per second per chat, 30 per second in all. */
export interface RateLimits {
  perChat?: RateLimit;
  perChannel?: RateLimit;
}

export type Capability = Exclude<keyof ChannelCapabilities, "maxTextLength" | "rateLimits" | "typingRefreshMs">;

export interface ChannelContext {
  /**
   * Stores a platform event. Resolves once the row is committed; acknowledge the
   * platform (offset, webhook 200) only after that. Rejects with a coded error for
   * a malformed message or a chat outside this channel's prefixes.
   */
  inbound(message: InboundMessage): Promise<InboundResult>;
  /** Reports the channel's health; shown in `/health` and sent to `onChannelStatus`. */
  setStatus(state: ChannelState, detail?: string): void;
  log: Logger;
  /** Aborted when the channel stops; pass it to long polls and timers. */
  signal: AbortSignal;
}

export interface Channel {
  /** Unique name, e.g. `web` or `telegram:600000001`. */
  name: string;
  /** JID prefixes this channel owns, each `<platform>:<account>/`. */
  prefixes: string[];
  capabilities: ChannelCapabilities;
  /** Connects to the platform. A throw marks the plugin failed; the host keeps running. */
  start?(ctx: ChannelContext): Promise<void> | void;
  /** Closes sockets, timers and listeners; after it resolves the channel holds nothing. */
  stop?(): Promise<void> | void;
  /** Sends one chunk; returns the platform's message id or throws a `SendError`. */
  send(chunk: OutboundChunk): Promise<SendResult>;
  /** With `capabilities.sendFile`: sends `chunk.file`, with `chunk.text` (possibly empty) as its caption. */
  sendFile?(chunk: OutboundChunk & { file: OutboundFile }): Promise<SendResult>;
  /** With `capabilities.react`: reacts to a platform message; an empty `emoji` removes the bot's reaction. */
  react?(chat: string, platformMessageId: string, emoji: string): Promise<void>;
  /** With `capabilities.edit`: replaces the text of a message the bot sent. */
  edit?(chat: string, platformMessageId: string, text: string): Promise<void>;
  /** With `capabilities.delete`: deletes a message (the bot's own, or any where the platform allows). */
  delete?(chat: string, platformMessageId: string): Promise<void>;
  /** With `capabilities.confirm`: the platform id of an earlier send of this chunk (same `outboxId`), or null. */
  confirm?(chunk: OutboundChunk): Promise<string | null>;
  /**
   * With `capabilities.typing`: shows a typing indicator in the chat. `topic` is the run's
   * session topic: the platform thread, or a `#name` topic a channel shows in the main thread.
   */
  typing?(chat: string, topic: string): Promise<void>;
  /**
   * Messages that reached the platform since `since` (ms since the epoch), for channels
   * that can read history. Called after the channel reports `ok` again following
   * `disconnected` or `stale`; what is already stored is recognised and skipped.
   */
  history?(since: number): Promise<InboundMessage[]>;
  /** Downloads an attachment by the `ref` the channel put on it; called when an agent or enricher needs the bytes. */
  fetchAttachment?(ref: string): Promise<{ data: Uint8Array; mime: string }>;
  /**
   * Origins (`http://127.0.0.1:8081`) the channel's attachment URLs come from. Enrichers
   * download from them even when they resolve to a private address (a self-hosted
   * platform API); any other private, loopback or link-local address is refused.
   */
  attachmentOrigins?: string[];
}

/** Declares a channel; a typed identity that keeps the literal types of the declaration. */
export function defineChannel<C extends Channel>(channel: C): C {
  return channel;
}
