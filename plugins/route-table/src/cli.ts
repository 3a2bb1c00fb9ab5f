/** `arizuko route add|list|rm`. */
import { ArizukoError, formatTable, type CliCommand, type RoutesService } from "@arizuko/sdk";

function formatRows(routes: RoutesService): string {
  const rows = routes.list().map((row) => [String(row.id), String(row.seq), row.match || "(everything)", row.target, row.mode]);
  if (rows.length === 0) return "no routes; add one with `arizuko route add <match> <target>`";
  return formatTable([["ID", "SEQ", "MATCH", "TARGET", "MODE"], ...rows]);
}

export function routeCommand(routes: RoutesService): CliCommand {
  return {
    name: "route",
    description: "manage the route table (which group answers which messages)",
    subcommands: [
      {
        name: "list",
        description: "list routes in the order they are checked",
        run: () => formatRows(routes),
      },
      {
        name: "add",
        description: "add a route, e.g. arizuko route add 'platform=telegram verb=mention' support",
        arguments: [
          { name: "match", description: "space-separated key=glob terms (platform, account, chat, sender, verb, topic); '' matches everything" },
          { name: "target", description: "group folder; may contain {sender}" },
        ],
        options: [
          { flags: "--seq <n>", description: "position; lower is checked first (default: after the last row)" },
          { flags: "--mode <mode>", description: "run (start runs) or observe (store as context)", default: "run" },
        ],
        run: ({ args, options }) => {
          const seq = options.seq === undefined ? undefined : Number(options.seq);
          if (seq !== undefined && !Number.isInteger(seq)) {
            throw new ArizukoError("ARZ_ERR_ROUTE_SEQ", `--seq must be an integer, got ${JSON.stringify(options.seq)}`);
          }
          const row = routes.add({ match: args[0] as string, target: args[1] as string, seq, mode: options.mode as "run" | "observe" });
          return `route ${row.id} added: ${row.match || "(everything)"} → ${row.target} (${row.mode}, seq ${row.seq})`;
        },
      },
      {
        name: "rm",
        description: "remove a route by id",
        arguments: [{ name: "id", description: "route id from `arizuko route list`" }],
        run: ({ args }) => {
          const id = Number(args[0]);
          if (!Number.isInteger(id) || !routes.remove(id)) {
            throw new ArizukoError("ARZ_ERR_ROUTE_NOT_FOUND", `no route with id ${JSON.stringify(args[0])}; see \`arizuko route list\``);
          }
          return `route ${id} removed`;
        },
      },
    ],
  };
}
