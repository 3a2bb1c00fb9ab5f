/**
 * Sign-in through providers.
 *
 *   GET /auth/providers                 the configured providers
 *   GET /auth/providers/:id/start       redirects to an OAuth provider (`?next=/path` to come back to)
 *   GET /auth/providers/:id/callback    where the provider sends the browser back
 *
 * A provider only identifies a person. A browser already signed in links the identity
 * to its user (how a Telegram or Discord account is claimed); otherwise the identity
 * signs in the user it is linked to, and an identity no user linked is refused.
 */
import { isArizukoError, type AuthProviderSpec, type ProviderIdentity } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { HttpRoutes } from "../http/routes.js";
import { sendError } from "../http/server.js";
import type { Owner } from "../plugins/registry.js";
import { OAuthFailure, OAuthFlows, PENDING_TTL_MS } from "./oauth-flow.js";
import { identify } from "./request-auth.js";
import { PROVIDER_CALLBACK, PROVIDER_START, PROVIDERS } from "./route-schemas.js";
import type { AuthService } from "./service.js";
import { writeSessionCookies, type CookieReply } from "./session-cookies.js";

const OAUTH_COOKIE = "arizuko_oauth";
const PROVIDER_PATH = "/auth/providers";

/**
 * Returns a path on this site to come back to; anything else becomes `/`. Only visible
 * ASCII without backslashes passes, because browsers drop tabs and newlines and treat
 * `\\` as `/`, which would turn `/\t/evil.example` into another host.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || !/^\/(?!\/)[\x21-\x7e]*$/.test(value) || value.includes("\\")) return "/";
  return value;
}

function log(request: FastifyRequest, provider: string, reason: string): void {
  request.log.warn({ provider, ip: request.ip, reason }, "sign-in through a provider failed");
}

function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host}`;
}

export function registerProviderRoutes(http: HttpRoutes, owner: Owner, auth: AuthService, providers: () => AuthProviderSpec[], adminToken: () => string): void {
  const flows = new OAuthFlows();
  const find = (id: string) => providers().find((provider) => provider.id === id);
  const notFound = (reply: FastifyReply, id: string) =>
    sendError(reply, 404, "ARZ_ERR_PROVIDER_NOT_FOUND", `no sign-in provider ${JSON.stringify(id)}; GET ${PROVIDER_PATH} lists the configured ones`);

  /** Links the identity to the signed-in user, or signs in the user it is linked to. */
  async function complete(request: FastifyRequest, reply: FastifyReply, provider: AuthProviderSpec, identity: ProviderIdentity, next: string) {
    const linked = auth.identities.find(provider.id, identity.subject);
    const who = await identify(request, auth, adminToken);
    const current = who.caller?.kind === "user" ? who.caller.claims : null;

    if (current) {
      if (linked && linked.userId !== current.sub) {
        return sendError(reply, 409, "ARZ_ERR_IDENTITY_TAKEN", `this ${provider.title} account is linked to another user; sign in as that user, or have an operator run \`arizuko user unlink <user> ${provider.id}\` first`);
      }
      if (!linked) {
        auth.identities.link(provider.id, identity.subject, current.sub, identity.name ?? null);
        request.log.info({ provider: provider.id, user: current.username, subject: identity.subject }, "sign-in identity linked to a user");
      }
      return reply.redirect(next, 303);
    }

    const user = linked ? auth.users.byId(linked.userId) : null;
    if (!user) {
      return sendError(reply, 403, "ARZ_ERR_IDENTITY_NOT_LINKED", `no user is linked to this ${provider.title} account; sign in with your password first, then sign in with ${provider.title} to link it`);
    }
    const session = await auth.startSession(user, provider.id);
    if (!session.ok) return sendError(reply, session.status, "ARZ_ERR_SIGN_IN_FAILED", session.reason);
    writeSessionCookies(request, reply as CookieReply, auth.settings, session.accessToken, session.refreshToken);
    return reply.redirect(next, 303);
  }

  http.register(
    {
      method: "GET",
      url: PROVIDER_PATH,
      schema: PROVIDERS,
      handler: () => ({ providers: providers().map((provider) => ({ id: provider.id, title: provider.title, start: provider.oauth ? `${PROVIDER_PATH}/${provider.id}/start` : null })) }),
    },
    owner,
  );

  http.register(
    {
      method: "GET",
      url: `${PROVIDER_PATH}/:id/start`,
      schema: PROVIDER_START,
      // safeNext() turns a bad or repeated `next` into `/` rather than a 400.
      documentOnly: ["querystring"],
      async handler(request, reply) {
        const { id } = request.params as { id: string };
        const provider = find(id);
        if (!provider) return notFound(reply, id);
        const secure = request.protocol === "https";
        const next = safeNext((request.query as { next?: unknown }).next);
        if (!provider.oauth) {
          // The widget's data is signed by the provider, but the callback must still be one this browser asked for.
          const { state, browser } = flows.startSigned(id, next);
          (reply as CookieReply).setCookie(OAUTH_COOKIE, browser, { path: PROVIDER_PATH, httpOnly: true, sameSite: "lax", secure, maxAge: PENDING_TTL_MS / 1000 });
          return { callback: `${PROVIDER_PATH}/${id}/callback?state=${state}`, note: `use this as the ${provider.title} widget's data-auth-url` };
        }
        const redirectUri = `${originOf(request)}${PROVIDER_PATH}/${id}/callback`;
        const { url, browser } = await flows.start(id, provider.oauth, redirectUri, next);
        (reply as CookieReply).setCookie(OAUTH_COOKIE, browser, { path: PROVIDER_PATH, httpOnly: true, sameSite: "lax", secure, maxAge: PENDING_TTL_MS / 1000 });
        return reply.redirect(url, 302);
      },
    },
    owner,
  );

  http.register(
    {
      method: "GET",
      url: `${PROVIDER_PATH}/:id/callback`,
      schema: PROVIDER_CALLBACK,
      documentOnly: ["querystring"],
      async handler(request, reply) {
        const { id } = request.params as { id: string };
        const provider = find(id);
        if (!provider) return notFound(reply, id);
        const { state, ...query } = request.query as Record<string, string>;
        const browser = (request as FastifyRequest & { cookies: Record<string, string | undefined> }).cookies[OAUTH_COOKIE];
        (reply as CookieReply).clearCookie(OAUTH_COOKIE, { path: PROVIDER_PATH, httpOnly: true, sameSite: "lax" });

        if (provider.verify) {
          try {
            const pending = flows.take(id, state ?? "", browser);
            const identity = await provider.verify(query);
            return await complete(request, reply, provider, identity, pending.next);
          } catch (error) {
            if (error instanceof OAuthFailure) return sendError(reply, 400, "ARZ_ERR_SIGN_IN_FAILED", `${provider.title} sign-in failed: ${error.message}`);
            if (!isArizukoError(error)) throw error;
            log(request, id, error.message);
            return sendError(reply, error.statusCode, error.code, error.message);
          }
        }

        try {
          const callback = new URL(request.url, originOf(request));
          const { identity, next } = await flows.finish(id, provider.oauth!, callback, browser);
          return await complete(request, reply, provider, identity, next);
        } catch (error) {
          if (!(error instanceof OAuthFailure)) throw error;
          log(request, id, error.message);
          return sendError(reply, 400, "ARZ_ERR_SIGN_IN_FAILED", `${provider.title} sign-in failed: ${error.message}`);
        }
      },
    },
    owner,
  );
}
