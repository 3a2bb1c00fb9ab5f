/**
 * Server-sent event streams of web chats. Every stored message of a chat, user's and
 * agent's alike, is an `event: message` with `id: <seq>`; a client that reconnects
 * with `Last-Event-ID` (or `?after=`) gets exactly the later ones. `typing`, `status`
 * and `reset` events carry no id, so they never move the resume point.
 *
 * The store is the source of truth: a notification only says "chat X changed", and
 * each stream then reads the rows after the last seq it sent, in seq order. So no
 * event is missed or sent twice, whatever order notifications arrive in.
 */
import type { ServerResponse } from "node:http";
import type { MessagesApi } from "@arizuko/sdk";
import type { Logger } from "pino";
import { toWebMessage } from "./view.js";

/** Comment line sent this often so proxies keep idle streams open. */
export const HEARTBEAT_MS = 15_000;
/** How long EventSource waits before reconnecting. */
const RETRY_MS = 3_000;
/** A stream whose unsent buffer grows past this is closed; its client resumes from its last id. */
const MAX_BUFFERED_BYTES = 1_048_576;
const PAGE = 500;

interface Stream {
  chat: string;
  name: string;
  /** Checked before each catch-up: a caller who lost the chat gets no more of it. */
  allowed: () => boolean;
  lastSeq: number;
  response: ServerResponse;
  heartbeat: NodeJS.Timeout;
}

export class EventHub {
  private readonly streams = new Map<string, Set<Stream>>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;

  constructor(
    private readonly messages: MessagesApi,
    private readonly log: Logger,
  ) {}

  /** Open streams across all chats. */
  get size(): number {
    let count = 0;
    for (const set of this.streams.values()) count += set.size;
    return count;
  }

  /**
   * Starts a stream on a hijacked response: replays the chat after `afterSeq`, then
   * follows it. With `reset`, the client's resume point was not valid here (another
   * store, say): it gets one `reset` event and the whole history once.
   */
  open(response: ServerResponse, chat: string, name: string, afterSeq: number, reset: string | null, allowed: () => boolean = () => true): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    if (reset !== null) response.write(`event: reset\ndata: ${JSON.stringify({ reason: reset })}\n\n`);

    const stream: Stream = {
      chat,
      name,
      allowed,
      lastSeq: reset !== null ? 0 : afterSeq,
      response,
      // The heartbeat also checks access, so a stream of a caller who lost the chat ends within HEARTBEAT_MS.
      heartbeat: setInterval(() => {
        if (this.stillAllowed(stream)) this.write(stream, ": ping\n\n");
      }, HEARTBEAT_MS),
    };
    // Replay and registration happen in one synchronous step, so no commit falls between them.
    this.catchUp(stream);
    let set = this.streams.get(chat);
    if (!set) this.streams.set(chat, (set = new Set()));
    set.add(stream);

    response.on("close", () => this.remove(stream));
  }

  /** Something was stored in `chat`; its streams catch up once the current burst settles. */
  notify(chat: string): void {
    if (!this.streams.has(chat)) return;
    this.dirty.add(chat);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const chats = [...this.dirty];
      this.dirty.clear();
      for (const dirtyChat of chats) for (const stream of this.streams.get(dirtyChat) ?? []) this.catchUp(stream);
    });
  }

  /** Sends an event without an id (`typing`, `status`, `delta`) to every stream of `chat`. */
  signal(chat: string, event: "typing" | "status" | "delta", data: unknown): void {
    for (const stream of this.streams.get(chat) ?? []) this.write(stream, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream after sending what is stored, so replies sent just before a stop are seen. */
  closeAll(): void {
    for (const set of this.streams.values()) {
      for (const stream of set) {
        this.catchUp(stream);
        stream.response.end();
      }
    }
  }

  /** Ends every stream whose caller lost its chat, e.g. after a share link was revoked. */
  recheck(): void {
    for (const set of this.streams.values()) for (const stream of set) this.stillAllowed(stream);
  }

  /** Ends the stream when its caller lost the chat. The client reconnects and the route replies with the reason. */
  private stillAllowed(stream: Stream): boolean {
    if (stream.allowed()) return true;
    stream.response.end();
    return false;
  }

  private catchUp(stream: Stream): void {
    if (!this.stillAllowed(stream)) return;
    for (;;) {
      const rows = this.messages.list({ chat: stream.chat, afterSeq: stream.lastSeq, limit: PAGE });
      for (const row of rows) {
        if (!this.write(stream, `id: ${row.seq}\nevent: message\ndata: ${JSON.stringify(toWebMessage(row, stream.name))}\n\n`)) return;
        stream.lastSeq = row.seq;
      }
      if (rows.length < PAGE) return;
    }
  }

  /** Writes to a stream; closes it when the client reads too slowly. Returns false once closed. */
  private write(stream: Stream, text: string): boolean {
    const { response } = stream;
    if (response.destroyed || response.writableEnded) return false;
    response.write(text);
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn({ chat: stream.chat, buffered: response.writableLength }, "SSE client too slow; closing its stream so it resumes later");
      response.destroy();
      return false;
    }
    return true;
  }

  private remove(stream: Stream): void {
    clearInterval(stream.heartbeat);
    const set = this.streams.get(stream.chat);
    set?.delete(stream);
    if (set?.size === 0) this.streams.delete(stream.chat);
  }
}
