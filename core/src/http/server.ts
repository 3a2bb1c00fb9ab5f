/**
 * The fastify server everything is served from. Every error leaves as JSON
 * `{ error: { code, message } }` with the right status: a bad request says what was
 * wrong with it, an internal failure says only that it happened (the log has the rest).
 */
import fastifyCookie from "@fastify/cookie";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import { isArizukoError } from "@arizuko/sdk";
import { isBusyError, noteBusy } from "../store/db.js";

/** Largest request body accepted, in bytes. */
export const BODY_LIMIT_BYTES = 1_048_576;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** fastify's request errors, answered with arizuko codes and messages that say what to send instead. */
const FRAMEWORK_ERRORS: Record<string, { code: string; message: (contentType: string | undefined, bodyLimit: number) => string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "ARZ_ERR_UNSUPPORTED_MEDIA_TYPE",
    message: (type) => `unsupported content type ${JSON.stringify(type ?? "none")}; send the body as application/json`,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: "ARZ_ERR_BODY_TOO_LARGE",
    // A route may set its own limit (uploads); the message names the one that applied.
    message: (_type, limit) => `request body larger than ${limit} bytes; send less`,
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "ARZ_ERR_INVALID_JSON", message: () => "the body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "ARZ_ERR_INVALID_JSON", message: () => "the body is empty; send a JSON object" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "ARZ_ERR_BAD_REQUEST", message: () => "Content-Length does not match the body" },
};

/** Sends the error body every arizuko endpoint uses, `{ error: { code, message } }`. */
export function sendError(reply: { code(status: number): { send(body: unknown): unknown } }, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

/** A route fastify serves, as it was added. */
export interface ServedRoute {
  method: string;
  url: string;
  /** True for routes /docs leaves out on purpose (its own pages and files). */
  hidden: boolean;
}

/**
 * Records every route added to `server` from now on, HEAD twins included; fastify has no
 * route listing of its own. The list lets a check compare what is served with what /docs describes.
 */
export function trackRoutes(server: FastifyInstance): () => ServedRoute[] {
  const routes: ServedRoute[] = [];
  server.addHook("onRoute", (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, hidden });
  });
  return () => [...routes];
}

export function createServer(log: Logger, trustProxy: boolean | string = false): FastifyInstance {
  const server = Fastify({
    trustProxy,
    loggerInstance: log.child({ plugin: "http" }) as FastifyBaseLogger,
    // Request lines would flood the log; errors are logged by the error handler below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Timeouts keep one slow client from holding a connection forever; SSE streams hijack theirs.
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    return503OnClosing: true,
    // At shutdown channels have ended their streams; whatever is still open is cut, and a
    // client whose post was cut retries it (a repeated message id is stored once).
    forceCloseConnections: true,
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } },
    // Errors fastify raises before routing (a path with broken percent-encoding) skip the error handler.
    frameworkErrors: (error, _request, reply) => {
      const message = `invalid URL: ${error.message}; percent-encode the path correctly`;
      void (reply as FastifyReply).code(400).send({ error: { code: "ARZ_ERR_BAD_URL", message } });
    },
    schemaErrorFormatter: (validationErrors, dataVar) => {
      const [first] = validationErrors;
      const params = first?.params as { additionalProperty?: string; allowedValues?: unknown[] } | undefined;
      const where = `${dataVar}${first?.instancePath ?? ""}`.replaceAll("/", ".");
      let detail = first?.message ?? "is invalid";
      if (params?.additionalProperty !== undefined) detail = `has an unknown field "${params.additionalProperty}"; remove it`;
      else if (Array.isArray(params?.allowedValues)) detail = `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(", ")}`;
      return new Error(`${where} ${detail}`);
    },
  });

  // Bodies are JSON; fastify would parse text/plain too and report a confusing type error.
  server.removeContentTypeParser("text/plain");

  server.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return sendError(reply, 400, "ARZ_ERR_INVALID_REQUEST", `invalid request: ${error.message}`);
    }
    if (isArizukoError(error) && error.statusCode < 500) {
      return sendError(reply, error.statusCode, error.code, error.message);
    }
    if (isBusyError(error)) {
      noteBusy();
      request.log.warn({ method: request.method, url: request.url }, "database locked past its busy timeout; responded 503");
      return reply.header("retry-after", "1").code(503).send({ error: { code: "ARZ_ERR_STORE_BUSY", message: "the database is busy; retry the request in a moment" } });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = FRAMEWORK_ERRORS[error.code];
      const message = known ? known.message(request.headers["content-type"], request.routeOptions?.bodyLimit ?? BODY_LIMIT_BYTES) : error.message;
      return sendError(reply, status, known?.code ?? "ARZ_ERR_BAD_REQUEST", message);
    }
    request.log.error({ err: error, method: request.method, url: request.url }, "request failed");
    if (isArizukoError(error) && status === 503) return sendError(reply, 503, error.code, error.message);
    return sendError(reply, 500, "ARZ_ERR_INTERNAL", "internal error; the server log has the details");
  });

  server.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, "ARZ_ERR_NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`),
  );

  // Parses the Cookie header into request.cookies and adds reply.setCookie for every route.
  void server.register(fastifyCookie);
  return server;
}
