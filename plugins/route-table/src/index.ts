/**
 * route-table: the table layer of routing (stage 100 of `onResolve`). Owns the
 * `route_table_routes` table, offers it to other plugins as the `routes` service, and
 * adds `arizuko route` and the route MCP tools. A first run seeds the row `platform=web → main`.
 */
import { definePlugin, HOST_API_VERSION } from "@arizuko/sdk";
import { routeCommand } from "./cli.js";
import { registerAdminRoutes } from "./http.js";
import { RouteTable } from "./table.js";
import { routeTools } from "./tools.js";

/** Stage of this layer in the resolution waterfall; later layers override it. */
export const ROUTE_TABLE_STAGE = 100;

export default definePlugin({
  name: "route-table",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Routes messages to groups by a table of match rules.",
  configSchema: { type: "object", properties: {}, additionalProperties: false },
  migrations: new URL("../migrations", import.meta.url),

  register(host) {
    const routes = new RouteTable(host.db, host.groups);
    host.services.provide("routes", routes);
    host.cli.register(routeCommand(routes, host.routing));
    registerAdminRoutes(host, routes);
    for (const tool of routeTools(routes, host.db)) host.tools.register(tool);

    host.hooks.onResolve.tap(
      (decision, { message }) => {
        const row = routes.match(message);
        if (!row) return undefined;
        return {
          ...decision,
          owner: row.target,
          target: row.target,
          mode: row.mode,
          layer: "route-table",
          reason: `route #${row.id} (${row.match || "everything"}) → ${row.target}`,
        };
      },
      { stage: ROUTE_TABLE_STAGE },
    );
  },
});

export { RouteTable, senderSlug, expandTarget } from "./table.js";
export { parseMatch, MATCH_KEYS, MatchError } from "./match.js";
