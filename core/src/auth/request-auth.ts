/**
 * Caller identification: the operator's admin token, or a user's access token as a bearer
 * header (API clients) or in the `arizuko_access` cookie (browsers). A request that a
 * cookie authenticates and that changes state must also pass the CSRF check: an
 * Origin of this host and the `X-CSRF-Token` header equal to the `arizuko_csrf` cookie.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { bearerMatches } from "../http/admin-token.js";
import type { AccessClaims } from "./access-tokens.js";
import type { AuthService } from "./service.js";

export const ACCESS_COOKIE = "arizuko_access";
export const REFRESH_COOKIE = "arizuko_refresh";
export const CSRF_COOKIE = "arizuko_csrf";
export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type Caller = { kind: "admin-token" } | { kind: "user"; claims: AccessClaims };
export type Identification = { caller: Caller } | { caller: null; status: 401 | 403; reason: string };

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  return (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[name];
}

const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Returns why `origin` (an Origin or Referer header) is not this server, or null when it is. */
export function foreignOrigin(request: FastifyRequest, origin: string): string | null {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `the Origin ${JSON.stringify(origin)} is not a URL`;
  }
  if (host === request.headers.host) return null;
  return `cross-site request from ${origin} refused; this server is ${request.protocol}://${request.headers.host}`;
}

/** Returns why a cookie-authenticated request that changes state looks forged, or null when it passes. */
export function csrfProblem(request: FastifyRequest): string | null {
  const origin = request.headers.origin ?? request.headers.referer;
  if (!origin) return "the request has no Origin header; browsers send one, so send it from API clients too or use a bearer token";
  const foreign = foreignOrigin(request, origin);
  if (foreign) return foreign;

  const cookie = cookieOf(request, CSRF_COOKIE);
  const header = request.headers[CSRF_HEADER];
  if (!cookie || typeof header !== "string" || !equal(cookie, header)) return `missing or wrong ${CSRF_HEADER} header; send the csrf_token that sign-in returned`;
  return null;
}

/** Identifies the caller of `request`; a presented but invalid credential is refused, never ignored. */
export async function identify(request: FastifyRequest, auth: AuthService, adminToken: () => string): Promise<Identification> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    if (bearerMatches(header, adminToken())) return { caller: { kind: "admin-token" } };
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (!token) return { caller: null, status: 401, reason: "the Authorization header must be `Bearer <token>`" };
    const result = await auth.authenticate(token);
    return result.claims ? { caller: { kind: "user", claims: result.claims } } : { caller: null, status: 401, reason: result.reason };
  }

  const cookie = cookieOf(request, ACCESS_COOKIE);
  if (!cookie) return { caller: null, status: 401, reason: "no credentials: sign in (POST /auth/login) or send Authorization: Bearer <token>" };
  const result = await auth.authenticate(cookie);
  if (!result.claims) return { caller: null, status: 401, reason: result.reason };
  if (!SAFE_METHODS.has(request.method)) {
    const problem = csrfProblem(request);
    if (problem) return { caller: null, status: 403, reason: problem };
  }
  return { caller: { kind: "user", claims: result.claims } };
}
