/**
 * The sign-in API.
 *
 *   POST /auth/login    { username, password }  browsers: sets the access, refresh and
 *                       CSRF cookies; returns { user, csrf_token }
 *   POST /auth/token    { username, password }  API clients: { access_token, refresh_token, … }
 *   POST /auth/refresh  the refresh cookie (with the CSRF check) or { refresh_token }
 *   POST /auth/logout   revokes the sign-in of the refresh cookie or { refresh_token }
 *   GET  /auth/me       the signed-in user
 *   GET  /auth/invitations/:token   whether an invitation can be used
 *   POST /auth/invitations/:token   { username, password }: creates the invited account
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Owner } from "../plugins/registry.js";
import type { HttpRoutes } from "../http/routes.js";
import { sendError } from "../http/server.js";
import { csrfProblem, foreignOrigin, identify, REFRESH_COOKIE } from "./request-auth.js";
import { clearSessionCookies, writeSessionCookies, type CookieReply as Reply } from "./session-cookies.js";
import { ACCEPT_INVITATION, INVITATION, LOGIN, LOGOUT, ME, REFRESH, TOKEN } from "./route-schemas.js";
import type { AuthService } from "./service.js";
import type { User } from "./users.js";

/** Returns the refresh token of a JSON body `{ "refresh_token" }`: undefined without one (a browser uses its cookie), null for a malformed body. */
function bodyToken(request: FastifyRequest): string | undefined | null {
  const body = request.body as { refresh_token?: unknown } | undefined | null;
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body)) return null;
  const token = body.refresh_token;
  if (token === undefined) return undefined;
  return typeof token === "string" && token.length > 0 && token.length <= 256 ? token : null;
}

type CookieRequest = FastifyRequest & { cookies: Record<string, string | undefined> };

const publicUser = (user: User) => ({ id: user.id, username: user.username, role: user.role });

export function registerAuthRoutes(http: HttpRoutes, owner: Owner, auth: AuthService, adminToken: () => string): void {
  const { accessTokenTtlS } = auth.settings;

  const setSessionCookies = (request: FastifyRequest, reply: Reply, accessToken: string, refreshToken: string) =>
    writeSessionCookies(request, reply, auth.settings, accessToken, refreshToken);

  /** The body API clients get: the new token pair. */
  const tokenBody = (result: { user: User; accessToken: string; refreshToken: string }) => ({
    user: publicUser(result.user),
    access_token: result.accessToken,
    token_type: "Bearer",
    expires_in: accessTokenTtlS,
    refresh_token: result.refreshToken,
  });

  /**
   * Returns the refresh token a request presents: from the body (API clients) or from the
   * cookie, which needs the CSRF check. Returns null after answering a bad request.
   */
  function presentedRefreshToken(request: FastifyRequest, reply: FastifyReply): { token: string | undefined; fromBody: boolean } | null {
    const fromBody = bodyToken(request);
    if (fromBody === null) {
      sendError(reply, 400, "ARZ_ERR_BAD_REQUEST", 'the body must be empty or { "refresh_token": "<token>" }');
      return null;
    }
    if (fromBody) return { token: fromBody, fromBody: true };

    const fromCookie = (request as CookieRequest).cookies[REFRESH_COOKIE];
    const problem = fromCookie ? csrfProblem(request) : null;
    if (problem) {
      sendError(reply, 403, "ARZ_ERR_CSRF", problem);
      return null;
    }
    return { token: fromCookie, fromBody: false };
  }

  async function signIn(request: FastifyRequest, reply: FastifyReply) {
    const { username, password } = request.body as { username: string; password: string };
    const result = await auth.signIn(username, password, request.ip);
    if (result.ok) return result;
    if (result.retryAfterS) reply.header("retry-after", String(result.retryAfterS));
    sendError(reply, result.status, result.status === 429 ? "ARZ_ERR_TOO_MANY_SIGN_INS" : "ARZ_ERR_SIGN_IN_FAILED", result.reason);
    return null;
  }

  http.register(
    {
      method: "POST",
      url: "/auth/login",
      schema: LOGIN,
      async handler(request, reply) {
        // A sign-in posted from another site would sign the browser in as someone else.
        const foreign = request.headers.origin ? foreignOrigin(request, request.headers.origin) : null;
        if (foreign) return sendError(reply, 403, "ARZ_ERR_CSRF", foreign);
        const result = await signIn(request, reply);
        if (!result) return reply;
        const csrf = setSessionCookies(request, reply as Reply, result.accessToken, result.refreshToken);
        return { user: publicUser(result.user), csrf_token: csrf, expires_in: accessTokenTtlS };
      },
    },
    owner,
  );

  http.register(
    {
      method: "POST",
      url: "/auth/token",
      schema: TOKEN,
      async handler(request, reply) {
        const result = await signIn(request, reply);
        if (!result) return reply;
        return tokenBody(result);
      },
    },
    owner,
  );

  http.register(
    {
      method: "POST",
      url: "/auth/refresh",
      schema: REFRESH,
      // The handler reads the body itself: it may be empty, and a bad one gets its own message.
      documentOnly: ["body"],
      async handler(request, reply) {
        const presented = presentedRefreshToken(request, reply);
        if (!presented) return reply;
        const { token, fromBody } = presented;
        if (!token) return sendError(reply, 401, "ARZ_ERR_UNAUTHORIZED", "no refresh token: send the refresh cookie, or { refresh_token } from /auth/token");

        const result = await auth.refresh(token);
        if (!result.ok) {
          if (!fromBody) clearSessionCookies(reply as Reply);
          return sendError(reply, 401, "ARZ_ERR_UNAUTHORIZED", result.reason);
        }
        if (fromBody) return tokenBody(result);
        const csrf = setSessionCookies(request, reply as Reply, result.accessToken, result.refreshToken);
        return { user: publicUser(result.user), csrf_token: csrf, expires_in: accessTokenTtlS };
      },
    },
    owner,
  );

  http.register(
    {
      method: "POST",
      url: "/auth/logout",
      schema: LOGOUT,
      documentOnly: ["body"],
      async handler(request, reply) {
        const presented = presentedRefreshToken(request, reply);
        if (!presented) return reply;
        if (presented.token) auth.refreshTokens.revoke(presented.token);
        clearSessionCookies(reply as Reply);
        return reply.code(204).send();
      },
    },
    owner,
  );

  http.register(
    {
      method: "GET",
      url: "/auth/invitations/:token",
      schema: INVITATION,
      handler(request, reply) {
        const invitation = auth.invitations.check((request.params as { token: string }).token);
        if (!invitation.ok) return sendError(reply, invitation.status, "ARZ_ERR_INVITATION", invitation.reason);
        return { role: invitation.role, expires_at: new Date(invitation.expiresAt).toISOString() };
      },
    },
    owner,
  );

  http.register(
    {
      method: "POST",
      url: "/auth/invitations/:token",
      schema: ACCEPT_INVITATION,
      async handler(request, reply) {
        const { username, password } = request.body as { username: string; password: string };
        const result = await auth.acceptInvitation((request.params as { token: string }).token, username, password);
        if (!result.ok) return sendError(reply, result.status, result.status === 400 ? "ARZ_ERR_BAD_REQUEST" : "ARZ_ERR_INVITATION", result.reason);
        return reply.code(201).send({ user: publicUser(result.user), next: "sign in with POST /auth/login or /auth/token" });
      },
    },
    owner,
  );

  http.register(
    {
      method: "GET",
      url: "/auth/me",
      schema: ME,
      async handler(request, reply) {
        const who = await identify(request, auth, adminToken);
        if (!who.caller) return sendError(reply.header("www-authenticate", "Bearer"), who.status, "ARZ_ERR_UNAUTHORIZED", who.reason);
        if (who.caller.kind === "admin-token") return { user: null, role: "operator", via: "admin token" };
        const { sub, username, role } = who.caller.claims;
        return { user: { id: sub, username, role } };
      },
    },
    owner,
  );
}
