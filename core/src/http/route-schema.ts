/**
 * The two views of a route's schema. fastify validates the request parts that the
 * route does not mark `documentOnly`, and never sees `response`, so a response schema
 * cannot change what a handler sends. The OpenAPI view at /docs gets the whole schema,
 * with defaults: the plugin's name as tag, the operator credential and its 401/403 on
 * `auth: "operator"` routes, and a note on routes that declare no schema.
 */
import { ErrorBody, SECURITY, type HttpRequestPart, type HttpRoute } from "@arizuko/sdk";
import type { FastifySchema } from "fastify";

const REQUEST_PARTS: HttpRequestPart[] = ["body", "querystring", "params", "headers"];

/** The operation extension by which api-docs.ts marks the request body optional. */
export const OPTIONAL_BODY = "x-arizuko-body-optional";

export const UNDESCRIBED_NOTE = "This route declares no schema: its parameters, body and responses are not described here.";

const OPERATOR_NOTE = "Needs an operator: `Authorization: Bearer` with the admin token or an operator's access token, or an operator's session cookie (with X-CSRF-Token for writes).";

const OPERATOR_RESPONSES = {
  401: { ...ErrorBody, description: "No valid credential (ARZ_ERR_UNAUTHORIZED)." },
  403: { ...ErrorBody, description: "A signed-in user who is not an operator (ARZ_ERR_FORBIDDEN), or a cookie request without the CSRF header (ARZ_ERR_CSRF)." },
};

/** Returns the request parts fastify validates: the route's schema without `response`, the OpenAPI fields and the `documentOnly` parts. */
export function validatedSchema(route: HttpRoute): FastifySchema | undefined {
  if (!route.schema) return undefined;
  const skipped = new Set(route.documentOnly ?? []);
  const validated: Record<string, unknown> = {};
  for (const part of REQUEST_PARTS) {
    if (route.schema[part] !== undefined && !skipped.has(part)) validated[part] = route.schema[part];
  }
  return Object.keys(validated).length > 0 ? validated : undefined;
}

/** Builds the schema /docs publishes for the route. */
export function documentedSchema(route: HttpRoute, plugin: string): Record<string, unknown> {
  const schema = route.schema ?? {};
  const operator = route.auth === "operator";
  const method = [route.method].flat()[0]!;
  const notes = [schema.description ?? (route.schema ? undefined : UNDESCRIBED_NOTE), operator ? OPERATOR_NOTE : undefined].filter(Boolean);

  const { bodyOptional, ...rest } = schema;
  const documented: Record<string, unknown> = {
    ...rest,
    summary: schema.summary ?? `${String(method).toUpperCase()} ${route.url}`,
    tags: schema.tags ?? [plugin],
  };
  if (notes.length > 0) documented.description = notes.join("\n\n");
  if (!route.schema) documented["x-arizuko-undescribed"] = true;
  if (bodyOptional) documented[OPTIONAL_BODY] = true;
  if (operator) {
    documented.security = schema.security ?? SECURITY.operator;
    documented.response = { ...OPERATOR_RESPONSES, ...((schema.response as object | undefined) ?? { 200: { description: "Default Response" } }) };
  }
  if (!READS.has(String(method).toUpperCase())) documented.response = withStopping(documented.response as Record<string, { description?: string }> | undefined);
  return documented;
}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

const STOPPING = "While arizuko stops, every request but GET, HEAD and OPTIONS gets 503 ARZ_ERR_STOPPING with Retry-After (seconds); send it again then.";

/** Adds the 503 every write gets while arizuko stops (core/src/http/draining.ts) to a route's responses. */
function withStopping(response: Record<string, { description?: string }> | undefined): Record<string, unknown> {
  const responses = response ?? { 200: { description: "Default Response" } };
  const own = responses[503];
  const description = own?.description ? `${own.description} ${STOPPING}` : STOPPING;
  const headers = { "retry-after": { type: "integer", description: "seconds to wait before sending the request again" } };
  return { ...responses, 503: { ...ErrorBody, ...own, description, headers } };
}
