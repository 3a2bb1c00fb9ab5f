/**
 * A browser visitor of the web chat: one cookie jar and a base URL that a test may
 * point at a restarted server. Browsers send a host's cookies to every port of that
 * host, so the same visitor keeps its cookie when the server comes back on a new port.
 */
import type { JsonResponse } from "../../../../core/test/helpers/client.js";
import { EventSourceReader } from "./event-source.js";

export const VISITOR_COOKIE = "arizuko_visitor";

export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(public base: string) {}

  get cookieHeader(): string {
    return [...this.cookies.entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The visitor id from the `arizuko_visitor` cookie, once the server issued one. */
  get visitorId(): string | undefined {
    return this.cookies.get(VISITOR_COOKIE);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined && { "content-type": "application/json" }),
        ...(this.cookies.size > 0 && { cookie: this.cookieHeader }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    this.rememberCookies(response.headers);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON, so the body stays text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string): Promise<JsonResponse<T>> {
    return this.request<T>("GET", path);
  }

  /** Posts a chat message as this visitor. */
  say(chat: string, text: string, extra: Record<string, unknown> = {}) {
    return this.request<{ id: string; seq: number; duplicate: boolean }>("POST", `/web/chats/${chat}/messages`, { text, ...extra });
  }

  /**
   * Opens the chat's event stream. `lastEventId` is sent as the `Last-Event-ID` header
   * when it is not empty, as EventSource does on a reconnect.
   */
  async events(chat: string, options: { lastEventId?: string; query?: string } = {}): Promise<EventSourceReader> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
    const reader = await EventSourceReader.open(`${this.base}/web/chats/${chat}/events${options.query ?? ""}`, headers);
    this.rememberCookies(reader.headers);
    return reader;
  }

  /** Reopens a dropped stream the way EventSource does: same chat, its last event ID as the header. */
  reconnect(chat: string, dropped: EventSourceReader): Promise<EventSourceReader> {
    return this.events(chat, { lastEventId: dropped.lastEventId });
  }

  private rememberCookies(headers: Headers): void {
    for (const header of headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const [name = "", ...value] = pair.split("=");
      this.cookies.set(name.trim(), value.join("="));
    }
  }
}
