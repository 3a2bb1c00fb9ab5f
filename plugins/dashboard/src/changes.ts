/**
 * `/dash/events`: a server-sent event `changed` whenever something the Status page shows
 * may have changed (a message stored, a run started or ended, a channel or plugin state).
 * Bursts are merged into one event, so a busy instance does not flood the browser.
 */
import type { ServerResponse } from "node:http";

const HEARTBEAT_MS = 15_000;

export class ChangeStream {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly mergeMs = 250) {
    this.heartbeat = setInterval(() => this.broadcast(": ping\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  open(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    response.write("retry: 3000\n\n");
    this.clients.add(response);
    response.on("close", () => this.clients.delete(response));
  }

  /** Notes a change; one `changed` event goes out once the burst settles. */
  changed(): void {
    if (this.timer || this.clients.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.broadcast("event: changed\ndata: {}\n\n");
    }, this.mergeMs);
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const client of this.clients) if (!client.destroyed) client.write(text);
  }
}
