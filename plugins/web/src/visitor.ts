/**
 * The visitor id: a random id in an httpOnly cookie that makes each browser one
 * sender (`web:<visitor id>`). Whatever name a request body gives is only a name.
 */
import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export const VISITOR_COOKIE = "arizuko_visitor";
const VISITOR_PATTERN = /^v_[A-Za-z0-9_-]{16,64}$/;
/** One year: a visitor keeps their chats across browser restarts. */
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;

export function readVisitor(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name !== VISITOR_COOKIE) continue;
    const value = rest.join("=");
    return VISITOR_PATTERN.test(value) ? value : null;
  }
  return null;
}

/** The request's visitor id, issuing a new cookie when it has none. */
export function visitorOf(request: FastifyRequest, reply: FastifyReply): string {
  const existing = readVisitor(request);
  if (existing) return existing;

  const visitor = `v_${randomBytes(16).toString("base64url")}`;
  const secure = request.protocol === "https" ? "; Secure" : "";
  reply.header("set-cookie", `${VISITOR_COOKIE}=${visitor}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${COOKIE_MAX_AGE_S}${secure}`);
  return visitor;
}
