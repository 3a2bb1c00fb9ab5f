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

export class HttpRoutes {
  private readonly registry = new NameRegistry<true>("HTTP route");
  private closed = false;

  constructor(private readonly server: FastifyInstance) {}

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
    try {
      this.server.route({
        ...route,
        handler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
          if (!live) {
            return reply.code(503).send({ error: { code: "ARZ_ERR_PLUGIN_STOPPED", message: `plugin ${owner.name} is not running; see /health` } });
          }
          return handler.call(this, request, reply);
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
