/**
 * The REST half of the fake Discord: routes under /api/v10, Discord's error bodies, its 429
 * response (body and headers), bot-token checks and multipart uploads. Every call is recorded
 * with its parsed body and files, and a test can make the next calls of a route fail.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Routes the fake serves, written as "METHOD /path" with `:name` for path parameters. */
export const REST_ROUTES = [
  "GET /gateway/bot",
  "GET /users/@me",
  "GET /applications/@me",
  "POST /users/@me/channels",
  "GET /channels/:channelId",
  "GET /channels/:channelId/messages",
  "POST /channels/:channelId/messages",
  "GET /channels/:channelId/messages/:messageId",
  "PATCH /channels/:channelId/messages/:messageId",
  "DELETE /channels/:channelId/messages/:messageId",
  "PUT /channels/:channelId/messages/:messageId/reactions/:emoji/@me",
  "POST /channels/:channelId/typing",
] as const;

export type RestRoute = (typeof REST_ROUTES)[number];

/** The API version prefix discord.js puts after `rest.api`. */
export const API_PREFIX = "/api/v10";

/** A file of a multipart request, under its form field name (discord.js uses `files[N]`). */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RestCall {
  method: string;
  /** The matched route, or null for a path the fake does not serve, which gets a 404. */
  route: RestRoute | null;
  /** Path after /api/v10, with its query string removed. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body, or a multipart request's `payload_json`, or undefined when there is none. */
  body: unknown;
  files: UploadedFile[];
  /** The HTTP status the fake returned. */
  status: number;
  /** When the call arrived, in ms since the epoch. */
  at: number;
}

/** A response a route handler returns. Without a body it is sent with no content, as handlers do for 204. */
export interface RestReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A failure a test queues for a route. For 429, `retryAfter` is in seconds, as in
 * Discord's body; `global` marks the global rate limit. For the other statuses, `code`
 * and `message` override the default Discord error body for that status.
 */
export type RestFailure =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: 400 | 401 | 403 | 404 | 500 | 502 | 503; code?: number; message?: string };

export type RouteHandler = (call: RestCall) => RestReply;

/** Makes Discord's JSON error body: `{ message, code }`, plus `errors` for form errors. */
export function discordError(status: number, code: number, message: string, errors?: unknown): RestReply {
  return { status, body: { message, code, ...(errors !== undefined && { errors }) } };
}

/** Makes Discord's 400 "Invalid Form Body" (code 50035) for one field with one error. */
export function invalidFormBody(field: string, code: string, message: string): RestReply {
  return discordError(400, 50035, "Invalid Form Body", { [field]: { _errors: [{ code, message }] } });
}

export const unknownChannel = (): RestReply => discordError(404, 10003, "Unknown Channel");
export const unknownMessage = (): RestReply => discordError(404, 10008, "Unknown Message");
export const missingPermissions = (): RestReply => discordError(403, 50013, "Missing Permissions");
const unauthorized = (): RestReply => discordError(401, 0, "401: Unauthorized");

/** The limit value sent in X-RateLimit-Limit on a 429, which discord.js only stores. */
const RATE_LIMIT_LIMIT = 5;

/** Default body of an injected failure that gives neither code nor message. */
function defaultFailureBody(status: number, route: RestRoute): { code: number; message: string } {
  switch (status) {
    case 401:
      return { code: 0, message: "401: Unauthorized" };
    case 403:
      return { code: 50013, message: "Missing Permissions" };
    case 404:
      return route.includes(":messageId") ? { code: 10008, message: "Unknown Message" } : { code: 10003, message: "Unknown Channel" };
    default:
      return { code: 0, message: `${status}: ${status >= 500 ? "Server Error" : "Bad Request"}` };
  }
}

/** Returns the rate limit bucket id of a route. Discord's ids are opaque, so one stable id per route is enough here. */
function bucketOf(route: RestRoute): string {
  return createHash("sha1").update(route).digest("hex").slice(0, 32);
}

/**
 * Makes a 429 as Discord sends it: `retry_after` in the body in seconds (a float), and the
 * headers from Discord's rate limit docs. Retry-After is whole seconds rounded up, as in
 * Discord's own examples (64.57 s in the body, 65 in the header). A global limit carries
 * X-RateLimit-Global and scope "global" and no bucket headers.
 */
export function rateLimitReply(route: RestRoute, retryAfter: number, global: boolean): RestReply {
  const body = { message: "You are being rate limited.", retry_after: retryAfter, global };
  const retryAfterHeader = String(Math.ceil(retryAfter));
  if (global) {
    return { status: 429, body, headers: { "Retry-After": retryAfterHeader, "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global" } };
  }
  const headers = {
    "Retry-After": retryAfterHeader,
    "X-RateLimit-Limit": String(RATE_LIMIT_LIMIT),
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset": (Date.now() / 1000 + retryAfter).toFixed(3),
    "X-RateLimit-Reset-After": retryAfter.toFixed(3),
    "X-RateLimit-Bucket": bucketOf(route),
    "X-RateLimit-Scope": "user",
  };
  return { status: 429, body, headers };
}

export class FakeRest {
  /** Every REST call in arrival order, failed ones included. */
  readonly calls: RestCall[] = [];
  private readonly failures = new Map<RestRoute, Array<{ failure: RestFailure; remaining: number }>>();

  /**
   * @param token - the bot token; requests must carry `Authorization: Bot <token>`
   * @param handlers - one handler per route
   */
  constructor(
    private readonly token: () => string,
    private readonly handlers: Record<RestRoute, RouteHandler>,
  ) {}

  /** Fails the next `times` calls of `route` with `failure` instead of handling them. */
  failNext(route: RestRoute, failure: RestFailure, times = 1): void {
    const queue = this.failures.get(route) ?? [];
    queue.push({ failure, remaining: times });
    this.failures.set(route, queue);
  }

  /** Handles one HTTP request whose path starts with /api/v10. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    const path = url.pathname.slice(API_PREFIX.length);
    const method = request.method ?? "GET";
    const match = matchRoute(method, path);
    const call: RestCall = {
      method,
      route: match?.route ?? null,
      path,
      params: match?.params ?? {},
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      files: [],
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);

    const reply = await this.answer(call, request);
    call.status = reply.status;
    // Discord's rate limit docs say most responses carry the bucket headers, not only a 429.
    // @discordjs/rest 2.6 keys its limit state by the bucket id, so if a 429 were the first response
    // to name it, the client would move the route to a fresh bucket and lose the limit that 429 reported.
    if (call.route && reply.status !== 429) reply.headers = { ...reply.headers, "X-RateLimit-Bucket": bucketOf(call.route) };
    send(response, reply);
  }

  private async answer(call: RestCall, request: IncomingMessage): Promise<RestReply> {
    if (!call.route) return discordError(404, 0, "404: Not Found");

    const read = await readBody(request);
    if ("error" in read) return read.error;
    call.body = read.body;
    call.files = read.files;

    const failure = this.takeFailure(call.route);
    if (failure?.status === 429) return rateLimitReply(call.route, failure.retryAfter, failure.global ?? false);
    if (failure) {
      const fallback = defaultFailureBody(failure.status, call.route);
      return discordError(failure.status, failure.code ?? fallback.code, failure.message ?? fallback.message);
    }

    if (request.headers.authorization !== `Bot ${this.token()}`) return unauthorized();
    return this.handlers[call.route](call);
  }

  private takeFailure(route: RestRoute): RestFailure | null {
    const queue = this.failures.get(route);
    const next = queue?.[0];
    if (!queue || !next) return null;
    next.remaining--;
    if (next.remaining <= 0) queue.shift();
    return next.failure;
  }
}

function matchRoute(method: string, path: string): { route: RestRoute; params: Record<string, string> } | null {
  const segments = path.split("/").filter(Boolean);
  for (const route of REST_ROUTES) {
    const [routeMethod, routePath] = route.split(" ") as [string, string];
    const pattern = routePath.split("/").filter(Boolean);
    if (routeMethod !== method || pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const segment = segments[index]!;
      if (!part.startsWith(":")) return part === segment;
      params[part.slice(1)] = decodeURIComponent(segment);
      return true;
    });
    if (matches) return { route, params };
  }
  return null;
}

/** Reads a JSON body, or a multipart one (discord.js sends files that way, with `payload_json`). */
async function readBody(request: IncomingMessage): Promise<{ body: unknown; files: UploadedFile[] } | { error: RestReply }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return { body: undefined, files: [] };

  const type = request.headers["content-type"] ?? "";
  try {
    if (type.startsWith("multipart/form-data")) return await readMultipart(raw, type);
    return { body: JSON.parse(raw.toString("utf8")), files: [] };
  } catch {
    return { error: discordError(400, 50109, "The request body contains invalid JSON.") };
  }
}

async function readMultipart(raw: Buffer, type: string): Promise<{ body: unknown; files: UploadedFile[] }> {
  // Node's fetch Response parses multipart bodies, so the fake needs no parser of its own.
  const form = await new Response(raw, { headers: { "content-type": type } }).formData();
  const files: UploadedFile[] = [];
  let body: Record<string, unknown> = {};
  for (const [field, value] of form.entries()) {
    if (typeof value !== "string") {
      const data = Buffer.from(await value.arrayBuffer());
      files.push({ field, filename: value.name, contentType: value.type, data });
    } else if (field === "payload_json") {
      body = { ...body, ...(JSON.parse(value) as Record<string, unknown>) };
    } else {
      body[field] = value;
    }
  }
  return { body, files };
}

function send(response: ServerResponse, reply: RestReply): void {
  if (reply.body === undefined) {
    response.writeHead(reply.status, reply.headers).end();
    return;
  }
  response.writeHead(reply.status, { ...reply.headers, "Content-Type": "application/json" }).end(JSON.stringify(reply.body));
}
