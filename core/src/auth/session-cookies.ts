/**
 * The cookies of a browser session: the access token (httpOnly, every path), the
 * refresh token (httpOnly, only `/auth`), and the CSRF token the page reads and echoes
 * in `X-CSRF-Token`. All SameSite=Lax, and Secure when the request came over HTTPS.
 */
import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from "./request-auth.js";

export type CookieReply = FastifyReply & {
  setCookie(name: string, value: string, options: Record<string, unknown>): FastifyReply;
  clearCookie(name: string, options: Record<string, unknown>): FastifyReply;
};

/** Sets the session cookies; returns the new CSRF token. */
export function writeSessionCookies(
  request: FastifyRequest,
  reply: CookieReply,
  settings: { accessTokenTtlS: number; refreshTokenTtlDays: number },
  accessToken: string,
  refreshToken: string,
): string {
  const secure = request.protocol === "https";
  const csrf = randomBytes(24).toString("base64url");
  const sessionS = settings.refreshTokenTtlDays * 86_400;
  reply.setCookie(ACCESS_COOKIE, accessToken, { path: "/", httpOnly: true, sameSite: "lax", secure, maxAge: settings.accessTokenTtlS });
  reply.setCookie(REFRESH_COOKIE, refreshToken, { path: "/auth", httpOnly: true, sameSite: "lax", secure, maxAge: sessionS });
  // Readable by the page, which echoes it in X-CSRF-Token; another site can neither read nor set it.
  reply.setCookie(CSRF_COOKIE, csrf, { path: "/", httpOnly: false, sameSite: "lax", secure, maxAge: sessionS });
  return csrf;
}

/** Clears the session cookies, with the attributes they were set with, so every client drops them. */
export function clearSessionCookies(reply: CookieReply): void {
  reply.clearCookie(ACCESS_COOKIE, { path: "/", httpOnly: true, sameSite: "lax" });
  reply.clearCookie(REFRESH_COOKIE, { path: "/auth", httpOnly: true, sameSite: "lax" });
  reply.clearCookie(CSRF_COOKIE, { path: "/", sameSite: "lax" });
}
