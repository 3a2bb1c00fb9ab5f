/**
 * HTTP routes registered by plugins. fastify cannot remove a route once added, so a
 * disposed plugin's routes stay in the table, answer 503 naming the plugin, and keep
 * their method and path claimed until the next start. Routes can only be added before
 * the server starts listening.
 */
import type { Disposer, HttpRoute } from "@arizuko/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../errors.js";
import { NameRegistry, type Owner } from "../plugins/registry.js";
import { documentedSchema, validatedSchema } from "./route-schema.js";

/** Whether a request may use an operator route: null when it may, else the status and reason. */
export type OperatorCheck = (request: FastifyRequest) => Promise<{ status: number; code: string; reason: string } | null>;

export class HttpRoutes {
  private readonly registry = new NameRegistry<true>("HTTP route");
  private closed = false;

  /** @param operatorCheck decides who may use routes registered with `auth: "operator"` */
  constructor(
    private readonly server: FastifyInstance,
    private readonly operatorCheck: OperatorCheck,
  ) {}

  register(route: HttpRoute, owner: Owner): Disposer {
    if (this.closed) throw errors.registrationClosed(owner.name, `HTTP route ${route.url}`);
    const methods = [route.method].flat().map((method) => String(method).toUpperCase());
    const claims: Disposer[] = [];
    try {
      for (const method of methods) claims.push(this.registry.claim(`${method} ${route.url}`, owner, true));
    } catch (error) {
      claims.forEach((dispose) => dispose());
      throw error;
    }

    let live = true;
    const handler = route.handler;
    const operatorOnly = route.auth === "operator";
    const check = this.operatorCheck;
    try {
      const { auth: _auth, documentOnly: _documentOnly, schema: _schema, ...options } = route;
      this.server.route({
        ...options,
        schema: validatedSchema(route),
        config: { ...(options.config as object | undefined), openapi: documentedSchema(route, owner.name) } as HttpRoute["config"],
        handler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
          if (!live) {
            return reply.code(503).send({ error: { code: "ARZ_ERR_PLUGIN_STOPPED", message: `plugin ${owner.name} is not running; see /health` } });
          }
          // Only operator routes wait for the credential check; the others (chat posts) stay synchronous here.
          if (!operatorOnly) return handler.call(this, request, reply);
          return check(request).then((refusal) => {
            if (!refusal) return handler.call(this, request, reply);
            if (refusal.status === 401) reply.header("www-authenticate", "Bearer");
            return reply.code(refusal.status).send({ error: { code: refusal.code, message: refusal.reason } });
          });
        },
      });
    } catch (error) {
      claims.forEach((dispose) => dispose());
      throw error;
    }

    // The claims stay: fastify still serves this path (with 503), so nobody else can take it.
    return () => {
      live = false;
    };
  }

  /** Called when the server starts listening. */
  close(): void {
    this.closed = true;
  }

  list(): Array<{ route: string; plugin: string }> {
    return this.registry.entriesList().map(([route, entry]) => ({ route, plugin: entry.owner.name }));
  }
}
