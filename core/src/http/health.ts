/**
 * `/health` and `/ready`. Health is 200 while the store answers, with `status`
 * `degraded` and the failing plugins named when any plugin failed or a tap of it did,
 * and each channel's state; 503 only when the store itself is broken. Ready is 200 once start-up finished.
 */
import type { Owner } from "../plugins/registry.js";
import type { HttpRoutes } from "./routes.js";

export interface HealthReport {
  status: "ok" | "degraded";
  healthy: boolean;
  plugins: Record<string, { state: string; error?: string }>;
  channels: Record<string, { state: string; detail: string | null; lastInboundAt: string | null }>;
}

export function registerHealthRoutes(http: HttpRoutes, owner: Owner, health: () => HealthReport, ready: () => boolean): void {
  http.register(
    {
      method: "GET",
      url: "/health",
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
      handler: (_request, reply) =>
        ready() ? reply.send({ ready: true }) : reply.code(503).send({ error: { code: "ARZ_ERR_NOT_READY", message: "arizuko is still starting" } }),
    },
    owner,
  );
}
