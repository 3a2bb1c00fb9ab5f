/**
 * A server-sent events reader that tracks the last event ID the way a browser's
 * EventSource does (WHATWG HTML, "Interpreting an event stream"). An `id:` field sets
 * the ID for its own event and every later one until another `id:` arrives. A block
 * without data still updates it. So `lastEventId` is exactly the value a browser would
 * send as `Last-Event-ID` when it reconnects.
 */

export interface ReceivedEvent {
  /** The `event:` field, or "message" when the block had none. */
  type: string;
  data: string;
  /** This block's own `id:` field, or null when the block had none. */
  id: string | null;
  /** The stream's last event ID once this event was dispatched. */
  lastEventId: string;
}

export interface ReceivedComment {
  /** The comment line without its leading colon. */
  text: string;
  /** The `id:` field of the block the comment came in, or null. */
  id: string | null;
}

export class EventSourceReader {
  readonly events: ReceivedEvent[] = [];
  readonly comments: ReceivedComment[] = [];
  /** The value a browser would send as `Last-Event-ID` on its next reconnect. */
  lastEventId = "";
  /** The reconnection time from the last `retry:` field, in milliseconds. */
  retry: number | null = null;
  status = 0;
  headers = new Headers();
  /** The response body when the server returned something other than an event stream. */
  body = "";
  ended = false;

  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  private idBuffer = "";

  static async open(url: string, headers: Record<string, string> = {}): Promise<EventSourceReader> {
    const reader = new EventSourceReader();
    const response = await fetch(url, {
      headers: { accept: "text/event-stream", "cache-control": "no-cache", ...headers },
      signal: reader.controller.signal,
    });
    reader.status = response.status;
    reader.headers = response.headers;
    const isStream = response.headers.get("content-type")?.startsWith("text/event-stream") ?? false;
    if (!response.ok || !isStream || !response.body) {
      reader.body = await response.text();
      reader.ended = true;
      return reader;
    }
    void reader.read(response.body);
    return reader;
  }

  /** Parsed data of the `message` events so far. */
  messages<T = Record<string, unknown>>(): T[] {
    return this.events.filter((event) => event.type === "message").map((event) => JSON.parse(event.data) as T);
  }

  /** Events of one type, in arrival order. */
  ofType(type: string): ReceivedEvent[] {
    return this.events.filter((event) => event.type === type);
  }

  /** Waits until `predicate` holds. Rejects if the stream ends or `timeoutMs` passes first. */
  async until(predicate: (reader: EventSourceReader) => boolean, timeoutMs = 15_000, description = "SSE events"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.ended) throw new Error(`stream ended before ${description} (events so far: ${JSON.stringify(this.events)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description} (events so far: ${JSON.stringify(this.events)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the server ends the stream. */
  async untilEnded(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for the server to end the stream`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops the connection from the client side, like closing the tab or losing the network. */
  close(): void {
    this.controller.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    let block: string[] = [];
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        // A trailing "\r" may be the first half of "\r\n", so it waits for the next chunk.
        let match: RegExpExecArray | null;
        while ((match = /\r\n|\n|\r(?!$)/.exec(buffer)) !== null) {
          const line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          if (line === "") {
            this.dispatch(block);
            block = [];
          } else {
            block.push(line);
          }
        }
        this.wake();
      }
    } catch {
      // close() aborted the request.
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private dispatch(lines: string[]): void {
    let type = "";
    let data: string[] | null = null;
    let id: string | null = null;
    const comments: string[] = [];

    for (const line of lines) {
      if (line.startsWith(":")) {
        comments.push(line.slice(1));
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") (data ??= []).push(value);
      else if (field === "id" && !value.includes("\0")) {
        id = value;
        this.idBuffer = value;
      } else if (field === "retry" && /^[0-9]+$/.test(value)) this.retry = Number(value);
    }

    this.lastEventId = this.idBuffer;
    for (const text of comments) this.comments.push({ text, id });
    if (data === null) return;
    this.events.push({ type: type || "message", data: data.join("\n"), id, lastEventId: this.lastEventId });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}
