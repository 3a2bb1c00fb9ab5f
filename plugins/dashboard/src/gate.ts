/**
 * The operator gate of every dashboard URL. A signed-out browser is sent to the sign-in
 * page from a page, and gets a JSON 401 from a fragment or a write (the page's script
 * then renews the session, or goes to sign-in). A signed-in user who is not an operator
 * gets 403. Writes also pass the core's CSRF check, since `fromRequest` applies it to
 * cookie sessions.
 */
import { ArizukoError, ErrorBody, htmlResponse, redirectResponse, SECURITY, type Host, type HttpRoute, type RouteSchema, type UserInfo } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import { csrfOf } from "./audit.js";
import { html } from "./html.js";
import { layout, pageShell, sendHtml, panelPages } from "./layout.js";

export const SIGN_IN_PATH = "/dash/sign-in";

export function signInUrl(next: string): string {
  return `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}

/** Returns the operator behind `request`; for a page it may instead send a redirect or 403 page and return null, and otherwise throws the 4xx. */
export async function operatorOf(host: Host, request: FastifyRequest, reply: FastifyReply, kind: "page" | "fragment" | "write"): Promise<UserInfo | null> {
  let user: UserInfo | null;
  try {
    user = await host.users.fromRequest(request);
  } catch (error) {
    const status = error instanceof ArizukoError ? error.statusCode : 500;
    if (status !== 401) {
      host.log.warn({ url: request.url, ip: request.ip, reason: (error as Error).message }, "dashboard request rejected");
      throw error;
    }
    // An expired or invalid session: the same as signed out.
    user = null;
  }

  if (!user) {
    if (kind === "page") {
      await reply.redirect(signInUrl(request.url), 303);
      return null;
    }
    throw new ArizukoError("ARZ_ERR_UNAUTHORIZED", `sign in as an operator first, at ${SIGN_IN_PATH}`, { statusCode: 401 });
  }
  if (user.role !== "operator") {
    const message = `You are signed in as ${user.username}, who is not an operator. An operator can give the role with: arizuko user role ${user.username} operator`;
    host.log.warn({ user: user.username, url: request.url }, "dashboard request by a user who is not an operator");
    if (kind !== "page") throw new ArizukoError("ARZ_ERR_FORBIDDEN", message, { statusCode: 403 });
    await reply.code(403).type("text/html; charset=utf-8").send(pageShell("Not an operator", html`<main><h1>Not an operator</h1><p>${message}</p><p><a href="${SIGN_IN_PATH}">Sign in as someone else</a></p></main>`).text);
    return null;
  }
  return user;
}

const error = (description: string) => ({ ...ErrorBody, description });

/** The note and responses the gate adds to each kind of route in the OpenAPI description. */
const GATE_DOCS: Record<"page" | "fragment" | "write", { note: string; response: Record<number, unknown> }> = {
  page: {
    note: "A page for an operator's browser.",
    response: {
      200: htmlResponse("The page."),
      303: redirectResponse("Signed out: to the sign-in page, coming back here after."),
      400: htmlResponse("The address has a value the page cannot use."),
      403: htmlResponse("Signed in, but not an operator."),
      404: htmlResponse("The thing the address names does not exist."),
    },
  },
  fragment: {
    note: "A part of a page that htmx reloads.",
    response: { 200: htmlResponse("The fragment."), 401: error("Signed out (ARZ_ERR_UNAUTHORIZED)."), 403: error("Not an operator (ARZ_ERR_FORBIDDEN)."), 404: error("No such thing (ARZ_ERR_NOT_FOUND).") },
  },
  write: {
    note: "A change an operator's browser posts through htmx, as JSON with the X-CSRF-Token header; it is recorded in the audit log.",
    response: {
      200: htmlResponse("The updated section; a change that was rejected shows its reason beside the form, with the typed values kept."),
      400: error("The body or address is invalid (ARZ_ERR_INVALID_REQUEST)."),
      401: error("Signed out (ARZ_ERR_UNAUTHORIZED)."),
      403: error("Not an operator (ARZ_ERR_FORBIDDEN), or the CSRF header is missing (ARZ_ERR_CSRF)."),
    },
  },
};

/** Adds the gate's security, note and responses to a route's schema; the route's own entries win. */
function documented(kind: "page" | "fragment" | "write", schema: RouteSchema | undefined): RouteSchema {
  const docs = GATE_DOCS[kind];
  return {
    security: SECURITY.user,
    ...schema,
    description: [docs.note, schema?.description].filter(Boolean).join(" "),
    response: { ...docs.response, ...(schema?.response as object | undefined) },
  };
}

/** The operator each gated request was checked as, for its handler. */
const operators = new WeakMap<FastifyRequest, UserInfo>();

export type OperatorRoute = Omit<HttpRoute, "handler" | "onRequest"> & {
  handler(request: FastifyRequest, reply: FastifyReply, user: UserInfo): unknown;
};

/** The onRequest hook of a gated route: checks the operator and keeps them for the handler. */
function gate(host: Host, kind: "page" | "fragment" | "write") {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const user = await operatorOf(host, request, reply, kind);
    // A page's redirect or 403 page is already sent.
    if (!user) return reply;
    operators.set(request, user);
  };
}

/**
 * Registers a dashboard route behind the operator gate. The gate runs first, before the
 * body is parsed or validated, so a signed-out or non-operator caller learns nothing
 * from a malformed request: they get the redirect, 401 or 403 whatever they sent. A
 * page's 4xx (a bad address, an unknown group or message) is an HTML page with the
 * navigation, because a browser shows it to a person. Fragments and writes get JSON.
 */
export function operatorRoute(host: Host, kind: "page" | "fragment" | "write", route: OperatorRoute): void {
  const { handler, ...options } = route;
  options.schema = documented(kind, options.schema);
  if (kind !== "page") {
    host.http.register({ ...options, onRequest: gate(host, kind), handler: (request, reply) => handler(request, reply, operators.get(request)!) });
    return;
  }
  host.http.register({
    ...options,
    attachValidation: true,
    onRequest: gate(host, kind),
    handler: async (request, reply) => {
      const user = operators.get(request)!;
      const invalid = (request as FastifyRequest & { validationError?: Error }).validationError;
      if (invalid) return errorPage(host, reply, user, request, 400, `This address has a value the page cannot use (${invalid.message}). Fix the address, or start again from the navigation above.`);
      try {
        return await handler(request, reply, user);
      } catch (error) {
        if (!(error instanceof ArizukoError) || error.statusCode >= 500) throw error;
        return errorPage(host, reply, user, request, error.statusCode, error.message);
      }
    },
  });
}

function errorPage(host: Host, reply: FastifyReply, user: UserInfo, request: FastifyRequest, status: number, message: string): FastifyReply {
  const title = status === 404 ? "Not found" : "Cannot show this page";
  return sendHtml(reply, layout({ title, path: "", user, csrf: csrfOf(request), nav: panelPages(host) }, html`<p class="error" role="alert">${message}</p>`), status);
}
