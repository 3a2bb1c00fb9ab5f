/**
 * The model proxy: agents reach their model only through the host. Each run gets an
 * HTTP server on a unix socket in its unit's folder (beside its MCP socket), speaking
 * the OpenAI-compatible chat completions API. The proxy checks the run's token,
 * allows only `POST /v1/chat/completions` and `GET /v1/models` with a model the
 * config allows, and forwards to the configured endpoint with the operator's key. The
 * key stays in the host: it never enters an agent's environment, files or frames.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import type { RunUnit } from "@arizuko/sdk";
import type { Logger } from "pino";
import { RUN_FOLDER, unitFolder } from "../tools/endpoint.js";

export interface ModelConfig {
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:11434/v1`; null serves no model. */
  baseUrl: string | null;
  /** Sent upstream as `Authorization: Bearer`; never shown to agents. */
  apiKey: string | null;
  /** Models agents may ask for; the first is the default. */
  models: string[];
  /** Milliseconds one upstream call may take. */
  timeoutMs: number;
}

export interface ModelEndpoint {
  socket: string;
  token: string;
  models: string[];
  close(): Promise<void>;
}

/** Largest request body an agent may send (a long conversation with tool results). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

function answer(response: ServerResponse, status: number, message: string, type = "invalid_request_error"): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: { message: `arizuko model proxy: ${message}`, type } }));
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

export class ModelProxy {
  private readonly open = new Set<ModelEndpoint>();

  constructor(
    private readonly dataDir: string,
    private readonly config: ModelConfig,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.config.baseUrl !== null && this.config.models.length > 0;
  }

  /** Serves the model to one run on a fresh socket; resolves once it listens. */
  async serve(unit: RunUnit, runId: string): Promise<ModelEndpoint> {
    const folder = join(this.dataDir, RUN_FOLDER, unitFolder(unit));
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const path = join(folder, `${runId}.model.sock`);
    const token = randomBytes(32).toString("base64url");
    const expected = Buffer.from(`Bearer ${token}`);
    const log = this.log.child({ runId, group: unit.group });

    const server = createServer((request, response) => {
      void this.handle(request, response, expected, unit.group, log).catch((error: unknown) => {
        log.warn({ err: error }, "model proxy request failed");
        if (!response.headersSent) answer(response, 502, `the model endpoint failed: ${(error as Error).message}`, "upstream_error");
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);

    const endpoint: ModelEndpoint = { socket: path, token, models: [...this.config.models], close: () => this.shut(endpoint, server, path) };
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

  private async handle(request: IncomingMessage, response: ServerResponse, expected: Buffer, group: string, log: Logger): Promise<void> {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return answer(response, 401, "missing or wrong run token; send Authorization: Bearer <the model token of this run>", "authentication_error");
    }
    const path = (request.url ?? "").split("?")[0];

    if (request.method === "GET" && path === "/v1/models") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ object: "list", data: this.config.models.map((id) => ({ id, object: "model", owned_by: "arizuko" })) }));
      return;
    }
    if (request.method !== "POST" || path !== "/v1/chat/completions") {
      return answer(response, 404, `${request.method} ${path} is not served; agents may call POST /v1/chat/completions and GET /v1/models`);
    }

    const body = await readBody(request);
    if (body === null) return answer(response, 413, `request body over ${MAX_BODY_BYTES} bytes`);
    let parsed: { model?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8")) as { model?: unknown };
    } catch {
      return answer(response, 400, "the body is not JSON");
    }
    const model = parsed.model ?? this.config.models[0];
    if (typeof model !== "string" || !this.config.models.includes(model)) {
      return answer(response, 403, `model ${JSON.stringify(model)} is not allowed for group ${group}; allowed: ${this.config.models.join(", ")}`, "permission_error");
    }

    await this.forward({ ...parsed, model }, response, log);
  }

  /** Sends the request upstream with the operator's key and streams the response back. */
  private async forward(body: Record<string, unknown>, response: ServerResponse, log: Logger): Promise<void> {
    const url = `${this.config.baseUrl!.replace(/\/+$/, "")}/chat/completions`;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const started = Date.now();
    const upstream = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.config.timeoutMs) });
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    if (!upstream.ok) {
      // Some endpoints repeat the key in an error ("Incorrect API key provided: sk-…"): it must not reach the agent.
      const text = await upstream.text();
      response.end(this.config.apiKey ? text.replaceAll(this.config.apiKey, "[redacted]") : text);
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
