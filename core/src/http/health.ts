/**
 * `/health` and `/ready`. Health is 200 while the store answers, with `status`
 * `degraded` and the failing plugins named when any plugin failed or a tap of it did,
 * and each channel's state; 503 only when the store itself is broken. Ready is 200 once start-up finished.
 */
import { ErrorBody, SECURITY } from "@arizuko/sdk";
import { Type } from "typebox";
import type { Owner } from "../plugins/registry.js";
import type { HttpRoutes } from "./routes.js";

export interface HealthReport {
  status: "ok" | "degraded";
  healthy: boolean;
  plugins: Record<string, { state: string; error?: string }>;
  channels: Record<string, { state: string; detail: string | null; lastInboundAt: string | null }>;
}

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal("ok"), Type.Literal("degraded"), Type.Literal("down")], { description: "down only when the store is broken (then 503)" }),
  plugins: Type.Record(Type.String(), Type.Object({ state: Type.String({ description: "loading, ok, degraded, failed or stopped" }), error: Type.Optional(Type.String()) }), {
    description: "each plugin by name",
  }),
  channels: Type.Record(
    Type.String(),
    Type.Object({
      state: Type.String({ description: "connecting, ok, stale or disconnected" }),
      detail: Type.Union([Type.String(), Type.Null()]),
      lastInboundAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    }),
    { description: "each channel by name" },
  ),
});

const HEALTH_SCHEMA = {
  summary: "Health of the store, the plugins and the channels",
  security: SECURITY.none,
  description: "Needs no sign-in, for load balancers and monitors. 200 while the store answers, even with failed plugins (status `degraded`).",
  response: { 200: HealthBody, 503: { ...HealthBody, description: "The store is broken." } },
};

const READY_SCHEMA = {
  summary: "Whether start-up has finished",
  security: SECURITY.none,
  description: "Needs no sign-in. 503 until the plugins are registered and the channels were started.",
  response: { 200: Type.Object({ ready: Type.Literal(true) }), 503: { ...ErrorBody, description: "Still starting (ARZ_ERR_NOT_READY)." } },
};

export function registerHealthRoutes(http: HttpRoutes, owner: Owner, health: () => HealthReport, ready: () => boolean): void {
  http.register(
    {
      method: "GET",
      url: "/health",
      schema: HEALTH_SCHEMA,
      handler: (_request, reply) => {
        const report = health();
        const body = { status: report.healthy ? report.status : "down", plugins: report.plugins, channels: report.channels };
        return reply.code(report.healthy ? 200 : 503).send(body);
      },
    },
    owner,
  );
  http.register(
    {
      method: "GET",
      url: "/ready",
      schema: READY_SCHEMA,
      handler: (_request, reply) =>
        ready() ? reply.send({ ready: true }) : reply.code(503).send({ error: { code: "ARZ_ERR_NOT_READY", message: "arizuko is still starting" } }),
    },
    owner,
  );
}
