/** `arizuko route add|list|move|rm|explain`. */
import { ArizukoError, formatTable, type CliCommand, type Explanation, type RoutesService, type RoutingApi, type Verb } from "@arizuko/sdk";

function formatRows(routes: RoutesService): string {
  const rows = routes.list().map((row) => [String(row.id), String(row.seq), row.match || "(everything)", row.target, row.mode]);
  if (rows.length === 0) return "no routes; add one with `arizuko route add <match> <target>`";
  return formatTable([["ID", "SEQ", "MATCH", "TARGET", "MODE"], ...rows]);
}

function integer(value: unknown, what: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new ArizukoError("ARZ_ERR_USAGE", `${what} must be an integer, got ${JSON.stringify(value)}`);
  return number;
}

/** Renders an explanation for the terminal. */
export function formatExplanation(explanation: Explanation): string {
  const lines = [`sender role: ${explanation.role}`];
  if (explanation.denial !== null) {
    lines.push(`admission: denied (${explanation.denial}); stored as context, starts nothing`);
    return lines.join("\n");
  }
  lines.push("admission: admitted");
  if (explanation.control) {
    const reply = explanation.control.reply ? `; replies "${explanation.control.reply}"` : "";
    lines.push(`control: handled by ${explanation.control.plugin} (${explanation.control.reason})${reply}; never an agent turn`);
    return lines.join("\n");
  }
  lines.push("control: not a control message");
  for (const stage of explanation.stages) {
    const verdict = stage.layer === stage.plugin ? `decides ${stage.target ?? "no route"}${stage.topic ? ` #${stage.topic}` : ""} (${stage.reason})` : "passes";
    lines.push(`stage ${stage.stage} ${stage.plugin}: ${verdict}`);
  }
  const { result } = explanation;
  const where = result.group ? `${result.group}${result.topic ? ` #${result.topic}` : ""}` : "no group";
  lines.push(`result: ${result.state} → ${where} by ${result.layer} (${result.reason})`);
  if (result.delegatedTo) lines.push(`delegation: a message from the owner to ${result.delegatedTo}`);
  if (result.state === "pending") lines.push(`session: ${explanation.sessionId ?? "new"}`);
  return lines.join("\n");
}

export function routeCommand(routes: RoutesService, routing: RoutingApi): CliCommand {
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
          { name: "match", description: "space-separated terms: key=glob (platform, account, chat, sender, verb, topic) or text~regex; '' matches everything" },
          { name: "target", description: "group folder; may contain {sender}" },
        ],
        options: [
          { flags: "--seq <n>", description: "position; lower is checked first (default: after the last row)" },
          { flags: "--mode <mode>", description: "run (start runs) or observe (store as context)", default: "run" },
        ],
        run: ({ args, options }) => {
          const seq = options.seq === undefined ? undefined : integer(options.seq, "--seq");
          const row = routes.add({ match: args[0] as string, target: args[1] as string, seq, mode: options.mode as "run" | "observe" });
          return `route ${row.id} added: ${row.match || "(everything)"} → ${row.target} (${row.mode}, seq ${row.seq})`;
        },
      },
      {
        name: "move",
        description: "change a route's position",
        arguments: [
          { name: "id", description: "route id from `arizuko route list`" },
          { name: "seq", description: "new position; lower is checked first" },
        ],
        run: ({ args }) => {
          const row = routes.move(integer(args[0], "id"), integer(args[1], "seq"));
          if (!row) throw new ArizukoError("ARZ_ERR_ROUTE_NOT_FOUND", `no route with id ${JSON.stringify(args[0])}; see \`arizuko route list\``);
          return `route ${row.id} moved to seq ${row.seq}`;
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
      {
        name: "explain",
        description: "show how a message would be routed, stage by stage, without changing anything",
        options: [
          { flags: "--chat <jid>", description: "chat JID, e.g. web:local/c1" },
          { flags: "--sender <jid>", description: "sender JID, e.g. web:v_abc" },
          { flags: "--text <text>", description: "message text" },
          { flags: "--topic <topic>", description: "platform topic (thread)" },
          { flags: "--verb <verb>", description: "message, mention, reply, …" },
          { flags: "--reply-to <id>", description: "platform id of the message it replies to" },
        ],
        run: async ({ options }) => {
          for (const required of ["chat", "sender", "text"]) {
            if (typeof options[required] !== "string") throw new ArizukoError("ARZ_ERR_USAGE", `route explain needs --${required}`);
          }
          const explanation = await routing.explain({
            chat: options.chat as string,
            sender: options.sender as string,
            text: options.text as string,
            ...(typeof options.topic === "string" && { topic: options.topic }),
            ...(typeof options.verb === "string" && { verb: options.verb as Verb }),
            ...(typeof options.replyTo === "string" && { replyTo: options.replyTo }),
          });
          return formatExplanation(explanation);
        },
      },
    ],
  };
}
