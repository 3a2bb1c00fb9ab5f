/**
 * A small server-sent events client over fetch, reading the stream as it arrives,
 * so tests see exactly what a browser's EventSource would (ids, event names, data).
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  private done = false;

  static async open(url: string, headers: Record<string, string> = {}, onResponse?: (response: Response) => void): Promise<SseStream> {
    const stream = new SseStream();
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: stream.controller.signal });
    stream.status = response.status;
    onResponse?.(response);
    if (!response.ok || !response.body) {
      stream.done = true;
      stream.body = await response.text();
      return stream;
    }
    void stream.read(response.body);
    return stream;
  }

  body = "";

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf("\n\n")) >= 0) {
          this.parse(buffer.slice(0, boundary));
          buffer = buffer.slice(boundary + 2);
        }
        this.wake();
      }
    } catch {
      // aborted by close()
    } finally {
      this.done = true;
      this.wake();
    }
  }

  private parse(block: string): void {
    let id: string | null = null;
    let event = "message";
    const data: string[] = [];
    let any = false;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        this.comments.push(line);
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else continue;
      any = true;
    }
    if (any && data.length > 0) this.events.push({ id, event, data: data.join("\n") });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** True once the server ended the stream (or close() aborted it). */
  get ended(): boolean {
    return this.done;
  }

  /** Events named `message`, parsed. */
  messages<T = Record<string, unknown>>(): T[] {
    return this.events.filter((event) => event.event === "message").map((event) => JSON.parse(event.data) as T);
  }

  /** Waits until `predicate` holds for the events so far. */
  async until(predicate: (stream: SseStream) => boolean, timeoutMs = 15_000, what = "SSE events"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.done) throw new Error(`stream ended before ${what}; got ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}
