/**
 * The route MCP tools: `list_routes`, `add_route`, `set_routes`, `delete_route`. A
 * group manages only rows whose target is itself or below it, and it cannot remove
 * or replace a row that targets itself (what brings it its messages). New rows go after
 * every row that targets a group outside the caller's subtree and, unless a seq is
 * given, before the caller's own rows, so they take effect but never take another
 * group's traffic. Grants see the platform a new row's match names.
 */
import type { Database } from "better-sqlite3";
import type { RouteRow, ToolContext, ToolSpec } from "@arizuko/sdk";
import { ArizukoError, inSubtree, routePlatform } from "@arizuko/sdk";
import { Type } from "typebox";
import type { RouteTable } from "./table.js";

/**
 * The platform grants see for new rows: the one their matches name, or `*` when they
 * name none or several. A group whose grants cover only `web` can so add web routes
 * only, and never widen the platforms its derived grants come from.
 */
function platformOf(matches: string[]): Record<string, string> {
  const platforms = new Set(matches.map(routePlatform));
  return { platform: platforms.size === 1 ? [...platforms][0]! : "*" };
}

function reject(message: string): never {
  throw new ArizukoError("ARZ_ERR_ROUTE_TOOL", message, { statusCode: 403 });
}

const Mode = Type.Optional(Type.Union([Type.Literal("run"), Type.Literal("observe")], { description: "run starts runs (default); observe stores as context" }));
const Match = Type.String({ maxLength: 1000, description: "Space-separated terms, e.g. platform=telegram chat=telegram:*/-100* verb=mention; empty matches everything" });
const Target = Type.String({ minLength: 1, description: "This group's folder or one below it; may contain {sender}" });

export function routeTools(routes: RouteTable, db: Database): ToolSpec[] {
  const floor = (group: string) => routes.floor(group);

  const checkTarget = (context: ToolContext, target: string) => {
    if (!inSubtree(context.group, target)) reject(`${target} is not ${context.group} or below it; a group routes only to its own subtree`);
  };

  const checkSeq = (context: ToolContext, seq: number | undefined) => {
    const lowest = floor(context.group);
    if (seq !== undefined && seq <= lowest) reject(`seq ${seq} would come before a row of another group (seq ${lowest}); use a seq above ${lowest}`);
  };

  const own = (context: ToolContext, id: number): RouteRow => {
    const row = routes.list().find((candidate) => candidate.id === id);
    if (!row) reject(`no route #${id}; list_routes shows the ids`);
    checkTarget(context, row.target);
    if (row.target === context.group) reject(`route #${id} brings ${context.group} its messages; only the operator can remove it`);
    return row;
  };

  const list: ToolSpec = {
    name: "list_routes",
    description: "List the route rows whose target is this group or below it, in the order they are checked (lower seq first). To change them use add_route, delete_route or set_routes.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run: (_args, context) => ({ routes: routes.list().filter((row) => inSubtree(context.group, row.target)), lowest_allowed_seq: floor(context.group) + 1 }),
  };

  const add: ToolSpec = {
    name: "add_route",
    description:
      "Add a route row sending matching messages to this group or a group below it. It goes ahead of this group's own rows unless seq is given " +
      "(a seq must be above lowest_allowed_seq from list_routes). To replace all rows of the subtree at once use set_routes; to test a match first use inspect_routing.",
    inputSchema: Type.Object({ match: Match, target: Target, mode: Mode, seq: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
    grantParams: (args) => platformOf([String(args.match)]),
    run(args, context) {
      const target = String(args.target);
      checkTarget(context, target);
      const mode = args.mode as "run" | "observe" | undefined;
      if (args.seq === undefined) return routes.addOwned(context.group, [{ match: String(args.match), target, mode }])[0];
      checkSeq(context, args.seq as number);
      return routes.add({ match: String(args.match), target, mode, seq: args.seq as number });
    },
  };

  const remove: ToolSpec = {
    name: "delete_route",
    description: "Delete a route row of a group below this one (ids from list_routes). A row that targets this group itself stays. To replace several rows use set_routes.",
    inputSchema: Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    run(args, context) {
      const row = own(context, Number(args.id));
      routes.remove(row.id);
      return `route #${row.id} (${row.match || "everything"} → ${row.target}) deleted`;
    },
  };

  const set: ToolSpec = {
    name: "set_routes",
    description:
      "Replace every route row that targets a group below this one (the operator's rows too) with the given rows, in order, ahead of this group's own rows. Rows targeting this group itself stay. " +
      "To add or delete one row use add_route or delete_route.",
    inputSchema: Type.Object(
      { routes: Type.Array(Type.Object({ match: Match, target: Target, mode: Mode }, { additionalProperties: false }), { maxItems: 200 }) },
      { additionalProperties: false },
    ),
    grantParams: (args) => platformOf((args.routes as Array<{ match: string }>).map((row) => row.match)),
    run(args, context) {
      const rows = args.routes as Array<{ match: string; target: string; mode?: "run" | "observe" }>;
      for (const row of rows) {
        checkTarget(context, row.target);
        if (row.target === context.group) reject(`set_routes replaces rows of the groups below ${context.group}; add rows for ${context.group} itself with add_route`);
      }
      // One transaction: a row that fails validation leaves the table as it was.
      const replaced = db.transaction(() => {
        const old = routes.list().filter((row) => inSubtree(context.group, row.target) && row.target !== context.group);
        for (const row of old) routes.remove(row.id);
        return routes.addOwned(context.group, rows);
      })();
      return { routes: replaced };
    },
  };

  return [list, add, remove, set];
}
