/**
 * Per-run MCP endpoints: each run gets its own unix socket, `run/<unit>/<run_id>.sock`
 * under the data folder, up before the run starts and removed when it ends. The unit's
 * folder stays, so a warm container that mounts it reaches each new run's socket.
 *
 * Identity comes from the socket, never from tool arguments: a connection serves the
 * run that owns the socket, once it has presented that run's token in `initialize`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";
import { SocketTransport } from "@arizuko/agent/mcp";
import { MAX_TOOL_CONNECTIONS, RUN_TOKEN_CAPABILITY, type RunUnit } from "@arizuko/sdk";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { ArizukoError } from "../errors.js";
import type { RunIdentity, ToolCalls } from "./calls.js";

/** The run folder under the data folder. */
export const RUN_FOLDER = "run";
/** Maximum unix socket path length on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

export interface Endpoint {
  socket: string;
  token: string;
  /** Closes every connection and removes the socket; safe to call twice. */
  close(): Promise<void>;
}

/** Returns the unit's folder name: short and stable, so socket paths stay under the limit. */
export function unitFolder(unit: RunUnit): string {
  return createHash("sha256").update(`${unit.group}\0${unit.chat}\0${unit.topic}`).digest("hex").slice(0, 12);
}

function sameToken(given: unknown, expected: Buffer): boolean {
  if (typeof given !== "string") return false;
  const buffer = Buffer.from(given);
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

/** Returns why the first message of a connection is rejected, or null when it is this run's `initialize`. */
function rejection(message: JSONRPCMessage, token: Buffer): string | null {
  if (!("method" in message) || message.method !== "initialize" || !("id" in message)) {
    return "the first request on a run's MCP socket must be initialize";
  }
  const experimental = (message.params as { capabilities?: { experimental?: Record<string, { token?: unknown }> } } | undefined)?.capabilities?.experimental;
  const presented = experimental?.[RUN_TOKEN_CAPABILITY]?.token;
  if (presented === undefined) return `no run token: set capabilities.experimental["${RUN_TOKEN_CAPABILITY}"].token to the token of the run frame`;
  return sameToken(presented, token) ? null : "wrong run token: use the token of this run's run frame (a token is good for its own run only)";
}

/**
 * Passes messages on only after the connection's first request proved the token; a
 * refused connection gets one JSON-RPC error and is closed.
 */
class TokenGate implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private admitted = false;

  constructor(
    private readonly inner: SocketTransport,
    private readonly check: (message: JSONRPCMessage) => string | null,
    private readonly onRefused: (reason: string) => void,
  ) {}

  start(): Promise<void> {
    this.inner.onmessage = (message) => this.receive(message);
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    return this.inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.inner.send(message);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private receive(message: JSONRPCMessage): void {
    if (this.admitted) return this.onmessage?.(message);
    const reason = this.check(message);
    if (reason === null) {
      this.admitted = true;
      return this.onmessage?.(message);
    }
    this.onRefused(reason);
    const id = "id" in message ? message.id : null;
    const answer = { jsonrpc: "2.0", id, error: { code: ErrorCode.InvalidRequest, message: `arizuko: ${reason}` } } as JSONRPCMessage;
    void this.inner.send(answer).catch(() => undefined).finally(() => void this.inner.close());
  }
}

export class ToolEndpoints {
  private readonly open = new Set<Endpoint>();

  constructor(
    private readonly dataDir: string,
    private readonly calls: ToolCalls,
    private readonly version: string,
    private readonly log: Logger,
  ) {}

  /** Removes sockets an earlier process left behind, and unit folders left empty. */
  sweep(): void {
    const root = join(this.dataDir, RUN_FOLDER);
    let units: string[];
    try {
      units = readdirSync(root);
    } catch {
      return;
    }
    for (const unit of units) {
      let files: string[];
      try {
        files = readdirSync(join(root, unit));
      } catch {
        continue; // not a unit folder
      }
      for (const file of files.filter((name) => name.endsWith(".sock"))) rmSync(join(root, unit, file), { force: true });
      // No container outlives a restart, so an emptied unit folder has no one to serve.
      if (files.every((name) => name.endsWith(".sock"))) rmSync(join(root, unit), { recursive: true, force: true });
    }
  }

  /** Serves `run`'s tools on a fresh socket; resolves once it listens. */
  async serve(unit: RunUnit, run: RunIdentity): Promise<Endpoint> {
    const folder = join(this.dataDir, RUN_FOLDER, unitFolder(unit));
    const path = join(folder, `${run.runId}.sock`);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new ArizukoError("ARZ_ERR_SOCKET_PATH", `the MCP socket path ${path} is ${Buffer.byteLength(path)} bytes; unix sockets allow ${MAX_SOCKET_PATH}; use a data folder with a shorter path`);
    }
    mkdirSync(folder, { recursive: true, mode: 0o700 });

    const token = randomBytes(32).toString("base64url");
    const abort = new AbortController();
    const sockets = new Set<Socket>();
    const log = this.log.child({ runId: run.runId, group: run.group });
    const server = createServer((socket) => this.accept(socket, sockets, run, Buffer.from(token), abort.signal, log));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);

    const endpoint: Endpoint = { socket: path, token, close: () => this.shut(endpoint, server, sockets, abort, path) };
    this.open.add(endpoint);
    return endpoint;
  }

  /** Closes every endpoint (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((endpoint) => endpoint.close()));
  }

  private accept(socket: Socket, sockets: Set<Socket>, run: RunIdentity, token: Buffer, signal: AbortSignal, log: Logger): void {
    const full = sockets.size >= MAX_TOOL_CONNECTIONS;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));

    const check = (message: JSONRPCMessage) => (full ? `this run's MCP socket already has ${MAX_TOOL_CONNECTIONS} connections; close one first` : rejection(message, token));
    const gate = new TokenGate(new SocketTransport(socket), check, (reason) => log.warn({ reason }, "MCP connection refused"));
    const server = new Server({ name: "arizuko", version: this.version }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.calls.list(run) }));
    server.setRequestHandler(CallToolRequestSchema, (request) => this.calls.call(run, request.params.name, request.params.arguments, signal) as never);
    server.onerror = (error) => log.debug({ err: error }, "MCP connection error");
    server.connect(gate).catch((error: unknown) => {
      log.warn({ err: error }, "MCP connection failed");
      socket.destroy();
    });
  }

  private async shut(endpoint: Endpoint, server: NetServer, sockets: Set<Socket>, abort: AbortController, path: string): Promise<void> {
    if (!this.open.delete(endpoint)) return;
    abort.abort(new Error("the run ended"));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(path, { force: true });
  }
}
