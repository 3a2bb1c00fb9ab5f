/**
 * Pieces of route schemas that every arizuko HTTP API shares, for `HttpRoute.schema`.
 * The names in `SECURITY` are the security schemes `/docs` declares.
 */
import { Type } from "typebox";

/** The error body of every arizuko endpoint: `{ error: { code, message } }`. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "ARZ_ERR_* code, stable across versions" }),
      message: Type.String({ description: "what was wrong and how to fix it" }),
    }),
  },
  { description: "The request failed; `error.message` gives the reason." },
);

/** Security requirements for `schema.security`. */
export const SECURITY = {
  /** An operator: the admin token or an operator's access token, or an operator's session cookie. */
  operator: [{ operatorToken: [] }, { sessionCookie: [] }],
  /** A signed-in user: an access token, or the session cookie. */
  user: [{ bearerToken: [] }, { sessionCookie: [] }],
  /** A signed-in user, or no credential at all: the route's description states what a caller without a sign-in gets (the web chat's visitor cookie). */
  userOrVisitor: [{ bearerToken: [] }, { sessionCookie: [] }, {}],
  /** A bearer token the route's description names (an adapter's secret or token). */
  bearer: [{ bearerToken: [] }],
  /** No credential. */
  none: [],
} as const;

/** Builds the response schema of an HTML page. */
export function htmlResponse(description: string) {
  return { description, content: { "text/html": { schema: Type.String() } } };
}

/** Builds the response schema of a Server-Sent Events stream. */
export function eventStreamResponse(description: string) {
  return { description, content: { "text/event-stream": { schema: Type.String() } } };
}

/** Builds the response schema of a binary body, e.g. a file's bytes. */
export function binaryResponse(description: string, mediaType = "application/octet-stream") {
  return { description, content: { [mediaType]: { schema: Type.String({ format: "binary" }) } } };
}

/** Builds the response schema of a redirect, whose target is in the Location header. */
export function redirectResponse(description: string) {
  return { description, type: "null", headers: { location: Type.String({ description: "where the browser goes next" }) } };
}
