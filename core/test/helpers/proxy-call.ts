/** Calls a run's model proxy over its unix socket, as an agent would. */
import { request } from "node:http";

interface ProxyCall {
  token?: string;
  path?: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export function proxyCall(socket: string, options: ProxyCall): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", ...(options.token && { authorization: `Bearer ${options.token}` }), ...options.headers };
    const call = request(
      { socketPath: socket, path: options.path ?? "/v1/chat/completions", method: options.method ?? "POST", headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
      },
    );
    call.on("error", reject);
    call.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}
