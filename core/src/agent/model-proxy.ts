/**
 * The model proxy: agents reach their model only through the host. Each run gets an
 * HTTP server on a unix socket in its unit's folder (beside its MCP socket) for the
 * endpoint its group may use (see profile.ts). The proxy checks the run's token,
 * allows only the model calls of the endpoint's API with a model the config allows,
 * and forwards them with the operator's key:
 *
 * - `openai`: `POST /v1/chat/completions` and `GET /v1/models`, token as
 *   `Authorization: Bearer`;
 * - `anthropic`: `POST /v1/messages` and `POST /v1/messages/count_tokens`, token as
 *   `x-api-key` (or a bearer header); `anthropic-version` and `anthropic-beta` pass.
 *
 * The key stays in the host: it never enters an agent's environment, files or frames.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import type { ModelApi, RunUnit } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { ModelSettings } from "../config/schema.js";
import { RUN_FOLDER, unitFolder } from "../tools/endpoint.js";

export type ModelConfig = ModelSettings;

export interface ModelEndpoint {
  socket: string;
  token: string;
  models: string[];
  api: ModelApi;
  close(): Promise<void>;
}

/** Per API: the paths an agent may POST (relative to the base URL's `/v1`), and the header that carries the key upstream. */
const APIS: Record<ModelApi, { posts: string[]; listsModels: boolean; keyHeader: (key: string) => Record<string, string>; passHeaders: string[] }> = {
  openai: {
    posts: ["/chat/completions"],
    listsModels: true,
    keyHeader: (key) => ({ authorization: `Bearer ${key}` }),
    passHeaders: [],
  },
  anthropic: {
    posts: ["/messages", "/messages/count_tokens"],
    listsModels: false,
    keyHeader: (key) => ({ "x-api-key": key }),
    passHeaders: ["anthropic-version", "anthropic-beta"],
  },
};

/** Returns the header that carries the operator's key upstream for `model`'s API, or none without a key. */
export function keyHeaders(model: ModelConfig): Record<string, string> {
  return model.apiKey ? APIS[model.api].keyHeader(model.apiKey) : {};
}

/** True when `model` names an endpoint and at least one model, so runs get a model socket. */
export function modelServed(model: ModelConfig): boolean {
  return model.baseUrl !== null && model.models.length > 0;
}

/** Largest request body an agent may send (a long conversation with tool results). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

function answer(response: ServerResponse, status: number, message: string, type = "invalid_request_error"): void {
  response.writeHead(status, { "content-type": "application/json" });
  // Both SDKs read `error.message` and `error.type`; Anthropic's also wants the outer `type`.
  response.end(JSON.stringify({ type: "error", error: { message: `arizuko model proxy: ${message}`, type } }));
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Reads the token the agent sent: `x-api-key` (Anthropic's SDKs) or `Authorization: Bearer`. */
function presentedToken(request: IncomingMessage): Buffer {
  const key = request.headers["x-api-key"];
  if (typeof key === "string" && key !== "") return Buffer.from(key);
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
  return Buffer.from(bearer?.[1] ?? "");
}

export class ModelProxy {
  private readonly open = new Set<ModelEndpoint>();

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** Serves `model` to one run on a fresh socket; resolves once it listens. */
  async serve(unit: RunUnit, runId: string, model: ModelConfig): Promise<ModelEndpoint> {
    const folder = join(this.dataDir, RUN_FOLDER, unitFolder(unit));
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const path = join(folder, `${runId}.model.sock`);
    const token = randomBytes(32).toString("base64url");
    const expected = Buffer.from(token);
    const log = this.log.child({ runId, group: unit.group, api: model.api });

    const server = createServer((request, response) => {
      void this.handle(request, response, expected, model, unit.group, log).catch((error: unknown) => {
        log.warn({ err: error }, "model proxy request failed");
        if (!response.headersSent) answer(response, 502, `the model endpoint failed: ${(error as Error).message}`, "api_error");
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);

    const endpoint: ModelEndpoint = { socket: path, token, models: [...model.models], api: model.api, close: () => this.shut(endpoint, server, path) };
    this.open.add(endpoint);
    return endpoint;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((endpoint) => endpoint.close()));
  }

  private async shut(endpoint: ModelEndpoint, server: Server, path: string): Promise<void> {
    if (!this.open.delete(endpoint)) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(path, { force: true });
  }

  private async handle(request: IncomingMessage, response: ServerResponse, expected: Buffer, model: ModelConfig, group: string, log: Logger): Promise<void> {
    const api = APIS[model.api];
    const given = presentedToken(request);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      const how = model.api === "anthropic" ? "x-api-key: <the model token of this run>" : "Authorization: Bearer <the model token of this run>";
      return answer(response, 401, `missing or wrong run token; send ${how}`, "authentication_error");
    }
    const [path = "", query] = (request.url ?? "").split("?", 2);
    const served = [...api.posts.map((post) => `POST /v1${post}`), ...(api.listsModels ? ["GET /v1/models"] : [])];

    if (api.listsModels && request.method === "GET" && path === "/v1/models") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ object: "list", data: model.models.map((id) => ({ id, object: "model", owned_by: "arizuko" })) }));
      return;
    }
    if (request.method !== "POST" || !api.posts.some((post) => path === `/v1${post}`)) {
      return answer(response, 404, `${request.method} ${path} is not served; agents may call ${served.join(", ")}`, "not_found_error");
    }

    const body = await readBody(request);
    if (body === null) return answer(response, 413, `request body over ${MAX_BODY_BYTES} bytes`, "request_too_large");
    let parsed: { model?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8")) as { model?: unknown };
    } catch {
      return answer(response, 400, "the body is not JSON");
    }
    const chosen = parsed.model ?? model.models[0];
    if (typeof chosen !== "string" || !model.models.includes(chosen)) {
      return answer(response, 403, `model ${JSON.stringify(chosen)} is not allowed for group ${group}; allowed: ${model.models.join(", ")}`, "permission_error");
    }

    const headers: Record<string, string> = { "content-type": "application/json" };
    for (const name of api.passHeaders) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    if (model.apiKey) Object.assign(headers, api.keyHeader(model.apiKey));
    const suffix = path.slice("/v1".length) + (query ? `?${query}` : "");
    await this.forward(model, suffix, headers, { ...parsed, model: chosen }, response, log);
  }

  /** Sends the request upstream with the operator's key and streams the response back. */
  private async forward(model: ModelConfig, suffix: string, headers: Record<string, string>, body: Record<string, unknown>, response: ServerResponse, log: Logger): Promise<void> {
    const url = `${model.baseUrl!.replace(/\/+$/, "")}${suffix}`;
    const started = Date.now();
    const upstream = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(model.timeoutMs) });
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    if (!upstream.ok) {
      // Some endpoints repeat the key in an error ("Incorrect API key provided: sk-…"): it must not reach the agent.
      const text = await upstream.text();
      response.end(model.apiKey ? text.replaceAll(model.apiKey, "[redacted]") : text);
      log.warn({ model: body.model, status: upstream.status, durationMs: Date.now() - started }, "model call failed upstream");
      return;
    }
    if (upstream.body) {
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) response.write(chunk);
    }
    response.end();
    log.info({ model: body.model, status: upstream.status, durationMs: Date.now() - started }, "model call");
  }
}
