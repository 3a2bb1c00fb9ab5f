/**
 * Calls to an adapter's HTTP API. Each call uses its own connection (no keep-alive
 * pool), so a stopped channel leaves no sockets behind, and every call has a deadline.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface AdapterResponse {
  status: number;
  /** The parsed JSON body, or null when it was empty or not JSON. */
  body: Record<string, unknown> | null;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received (up to the size cap), for file downloads. */
  raw: Buffer;
}

/** Maximum response body read from an adapter (files included); the rest is cut off. */
const MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

export function callAdapter(
  url: string,
  options: {
    method: "GET" | "POST";
    /** A JSON body, or an encoded one with its content type (multipart forms). */
    body?: unknown;
    encoded?: { data: Buffer; contentType: string };
    headers?: Record<string, string>;
    timeoutMs: number;
    signal?: AbortSignal;
  },
): Promise<AdapterResponse> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  const payload = options.encoded?.data ?? (options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body)));
  const contentType = options.encoded?.contentType ?? "application/json";

  return new Promise((resolve, reject) => {
    const call = request(
      target,
      {
        method: options.method,
        agent: false,
        timeout: options.timeoutMs,
        ...(options.signal && { signal: options.signal }),
        headers: {
          ...options.headers,
          ...(payload && { "content-type": contentType, "content-length": String(payload.length) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        response.on("error", reject);
        response.on("end", () => {
          const raw = Buffer.concat(chunks);
          let body: Record<string, unknown> | null = null;
          try {
            const parsed: unknown = JSON.parse(raw.toString("utf8"));
            if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
          } catch {
            // not JSON: the status decides
          }
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers, raw });
        });
      },
    );
    call.on("timeout", () => call.destroy(new Error(`${target.origin} did not respond within ${options.timeoutMs} ms`)));
    call.on("error", reject);
    call.end(payload);
  });
}

/** Encodes a multipart form with the platform's own encoder (the adapters' `/send-file` takes one). */
export async function encodeForm(form: FormData): Promise<{ data: Buffer; contentType: string }> {
  const response = new Response(form);
  return { data: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get("content-type")! };
}
