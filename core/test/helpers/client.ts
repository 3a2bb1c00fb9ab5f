/** An HTTP client with a cookie jar, like a browser visitor or `curl -b jar -c jar`. */
import { SseStream } from "./sse.js";

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Client {
  private cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const [name, ...value] = pair!.split("=");
      this.cookies.set(name!.trim(), value.join("="));
    }
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  get cookieHeader(): string {
    return [...this.cookies.entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined && { "content-type": "application/json" }),
        ...(this.cookies.size > 0 && { cookie: this.cookieHeader }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    this.remember(response);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  post<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", path, body, headers);
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>("GET", path, undefined, headers);
  }

  /** Posts a chat message as this visitor. */
  say(chat: string, text: string, extra: Record<string, unknown> = {}) {
    return this.post<{ id: string; seq: number; duplicate: boolean }>(`/web/chats/${chat}/messages`, { text, ...extra });
  }

  events(chat: string, headers: Record<string, string> = {}, query = ""): Promise<SseStream> {
    return SseStream.open(
      `${this.base}/web/chats/${chat}/events${query}`,
      { ...(this.cookies.size > 0 && { cookie: this.cookieHeader }), ...headers },
      (response) => this.remember(response),
    );
  }
}
