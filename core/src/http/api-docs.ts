/**
 * The OpenAPI 3 description of every HTTP route, built by @fastify/swagger from the
 * route schemas: `GET /docs/json` (and `/docs/yaml`) serve it, `GET /docs` shows it in
 * Swagger UI, whose files @fastify/swagger-ui ships, so the page loads nothing from
 * another host. The description contains no data, so /docs needs no sign-in.
 *
 * Must be awaited before the first route is added: @fastify/swagger collects routes
 * with an onRoute hook, which runs only for routes added after it.
 */
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { OPTIONAL_BODY } from "./route-schema.js";

export const DOCS_PATH = "/docs";

/** The route config key with the schema /docs publishes; HttpRoutes sets it on every route it adds. */
export interface DocsRouteConfig {
  openapi?: Record<string, unknown>;
}

const DESCRIPTION = [
  "The HTTP API of an arizuko instance: health, sign-in, the operator API, and the routes of the plugins it loaded (one tag per plugin).",
  "Errors are JSON `{ error: { code, message } }` unless a route states otherwise (the HTTP channel responds `{ ok: false, error }`).",
  "Response schemas document the answer; the server does not strip fields that a schema leaves out.",
].join("\n\n");

type OpenApiDocument = { paths?: Record<string, Record<string, Record<string, unknown>>> };

/** Marks the request body not required where the route set `bodyOptional`, because @fastify/swagger marks every described body required. */
function markOptionalBodies(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (!operation[OPTIONAL_BODY]) continue;
      delete operation[OPTIONAL_BODY];
      if (operation.requestBody) (operation.requestBody as { required: boolean }).required = false;
    }
  }
  return document;
}

/**
 * fastify's wildcard `/*` would appear as the path parameter `{*}`, a name code
 * generators reject; it is published as `{path}`, the rest of the URL.
 */
function namedWildcard(schema: Record<string, unknown>, url: string): { schema: Record<string, unknown>; url: string } {
  if (!url.endsWith("/*")) return { schema, url };
  const params = { type: "object", properties: { path: { type: "string", description: "the rest of the path" } }, required: ["path"] };
  return { schema: { ...schema, params }, url: `${url.slice(0, -1)}{path}` };
}

export async function registerApiDocs(server: FastifyInstance, version: string): Promise<void> {
  await server.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "arizuko", version, description: DESCRIPTION },
      components: {
        securitySchemes: {
          operatorToken: {
            type: "http",
            scheme: "bearer",
            description: "The admin token from `<data>/admin.token`, or the access token of a user with the operator role (POST /auth/token).",
          },
          bearerToken: {
            type: "http",
            scheme: "bearer",
            description: "A bearer token; the route's description names which one (a user's access token, an HTTP channel adapter's secret or token).",
          },
          sessionCookie: {
            type: "apiKey",
            in: "cookie",
            name: "arizuko_access",
            description: "The browser session that POST /auth/login sets. Requests that change state also need the X-CSRF-Token header equal to the arizuko_csrf cookie.",
          },
        },
      },
    },
    // HttpRoutes puts the schema to publish in each route's config; fastify's own copy lacks the responses and the documentOnly parts.
    transform: ({ schema, url, route }) => namedWildcard((route.config as DocsRouteConfig | undefined)?.openapi ?? (schema as Record<string, unknown>), url),
    transformObject: (documentObject) => markOptionalBodies((documentObject as { openapiObject: OpenApiDocument }).openapiObject),
  });
  await server.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { docExpansion: "list", deepLinking: true },
    // Swagger UI would otherwise load a badge from the public validator; false turns it off.
    validatorUrl: false,
  });
}
