/**
 * The CLI commands the kernel itself provides: `group`, `migrate`, `plugins`, and the
 * `start` entry shown in help (the `arizuko` binary runs `start` itself).
 */
import { ArizukoError, formatTable as table, type CliCommand, type SenderRole } from "@arizuko/sdk";
import { rmSync } from "node:fs";
import { checkConfig } from "../config/check.js";
import { describeRemoved } from "../retention/erasure.js";
import { schemaOutput } from "../config/json-schema.js";
import { doctor, formatFindings } from "./doctor.js";
import { errors } from "../errors.js";
import { HOOK_NAMES } from "../hooks/catalog.js";
import { installedPlugins } from "../plugins/discover.js";
import { checkGrants } from "../grants/rules.js";
import { grantParams, GrantsService } from "../grants/service.js";

const SENDER_ROLES: SenderRole[] = ["operator", "member", "guest"];
import type { Kernel } from "../kernel.js";

/** Returns the folder when such a group exists; throws the coded error otherwise. */
function existingGroup(kernel: Kernel, folder: string): string {
  if (!kernel.groups.exists(folder)) throw errors.groupNotFound(folder);
  return folder;
}

/** Lists, per plugin, the hooks it taps and the routes, tools and commands it registered. */
function registrations(kernel: Kernel): string {
  const owned = (entries: Array<[string, { owner: { name: string } }]>, plugin: string) => entries.filter(([, entry]) => entry.owner.name === plugin).map(([name]) => name);
  const blocks = kernel.statuses.all().map(([plugin]) => {
    const lines = [
      ["hooks", HOOK_NAMES.filter((hook) => kernel.hooks.tappers(hook).includes(plugin))],
      ["routes", kernel.http.list().filter((route) => route.plugin === plugin).map((route) => route.route)],
      ["tools", owned(kernel.registries.tools.entriesList(), plugin)],
      ["chat commands", owned(kernel.registries.commands.entriesList(), plugin).map((name) => `/${name}`)],
      ["cli", owned(kernel.registries.cli.entriesList(), plugin).map((name) => `arizuko ${name}`)],
    ] as const;
    const shown = lines.filter(([, names]) => names.length > 0).map(([what, names]) => `  ${what}: ${names.join(", ")}`);
    return [plugin, ...(shown.length > 0 ? shown : ["  (registered nothing)"])].join("\n");
  });
  return blocks.join("\n");
}

/**
 * Removes a group, then deletes its messages, media and run records and its folder. The
 * removal's own checks (children, runs, queued messages) and the undelivered-reply check
 * come first, so a rejected command deletes nothing.
 */
async function removeAndPurge(kernel: Kernel, folder: string): Promise<string> {
  if (kernel.groups.exists(folder)) kernel.erasure.checkIdle({ group: folder }, `group ${folder}`);
  const sessions = kernel.store.db.prepare("SELECT count(*) AS n FROM sessions WHERE group_folder = ?").get(folder) as { n: number };
  const { path } = kernel.groups.remove(folder);
  const removed = { ...(await kernel.erasure.purgeGroup(folder)), sessions: sessions.n };
  rmSync(path, { recursive: true, force: true });
  return `group ${folder} removed and purged: ${describeRemoved(removed)} and the folder ${path} deleted`;
}

export function coreCommands(kernel: Kernel): CliCommand[] {
  return [
    {
      name: "start",
      description: "start the gateway (options: --host H, --port N, --insecure)",
      run: () => "arizuko is already running here; stop it first to start another",
    },
    {
      name: "init",
      description: "write a commented config, create the data folder, the main group and the first operator (see arizuko init --help)",
      run: () => "arizuko is already running here, so it is set up; stop it first to run init",
    },
    {
      name: "group",
      description: "manage agent groups",
      subcommands: [
        {
          name: "add",
          description: "create a group from the template",
          arguments: [{ name: "folder", description: "group folder, e.g. support or acme/support" }],
          options: [{ flags: "--name <name>", description: "display name (default: the folder)" }],
          run: ({ args, options }) => {
            const group = kernel.groups.add(args[0] as string, options.name as string | undefined);
            return `group ${group.folder} created at ${group.path}`;
          },
        },
        {
          name: "list",
          description: "list groups",
          run: () => {
            const rows = kernel.groups.records().map((group) => [group.folder, group.name, group.breaker === "open" ? "paused" : group.breaker === "half_open" ? "trial" : "ok"]);
            return rows.length === 0 ? "no groups" : table([["FOLDER", "NAME", "STATE"], ...rows]);
          },
        },
        {
          name: "rename",
          description: "change a group's display name",
          arguments: [
            { name: "folder", description: "group folder" },
            { name: "name", description: "the new display name" },
          ],
          run: ({ args }) => {
            const group = kernel.groups.rename(args[0] as string, args[1] as string);
            return `group ${group.folder} is now named ${JSON.stringify(group.name)}`;
          },
        },
        {
          name: "rm",
          description: "forget a group (its folder stays on disk unless --purge); rejected while it has children, a run or queued messages",
          arguments: [{ name: "folder", description: "group folder" }],
          options: [{ flags: "--purge", description: "also delete the group's stored messages, media, run records and its folder on disk" }],
          run: async ({ args, options }) => {
            const folder = args[0] as string;
            if (options.purge !== true) {
              const { path } = kernel.groups.remove(folder);
              return `group ${folder} removed; its folder ${path} is kept (delete it by hand, or add the group again to reuse it)`;
            }
            return removeAndPurge(kernel, folder);
          },
        },
        {
          name: "resume",
          description: "resume a group paused after failed runs",
          arguments: [{ name: "folder", description: "group folder" }],
          run: ({ args }) => {
            const folder = args[0] as string;
            return kernel.resumeGroup(folder) ? `group ${folder} resumed` : `group ${folder} was not paused; nothing to do`;
          },
        },
      ],
    },
    {
      name: "pair",
      description: "approve senders who were sent a pairing code",
      subcommands: [
        {
          name: "list",
          description: "list pairing codes waiting for approval",
          run: () => {
            const rows = kernel.admission.pending().map((pairing) => [pairing.code, pairing.sender, pairing.chat, new Date(pairing.createdAt).toISOString()]);
            return rows.length === 0 ? "no pairing codes waiting" : table([["CODE", "SENDER", "CHAT", "SENT"], ...rows]);
          },
        },
        {
          name: "approve",
          description: "admit the sender a pairing code was sent to",
          arguments: [{ name: "code", description: "the code the sender was given, e.g. ABCD-EFGH" }],
          run: ({ args }) => {
            const pairing = kernel.admission.approve(args[0] as string);
            return `sender ${pairing.sender} approved on ${pairing.platform}`;
          },
        },
        {
          name: "revoke",
          description: "withdraw a sender's approval",
          arguments: [{ name: "sender", description: "sender JID, e.g. telegram:111" }],
          run: ({ args }) => {
            const sender = args[0] as string;
            return kernel.admission.revoke(sender) ? `sender ${sender} is no longer approved` : `sender ${sender} was not approved; nothing to do`;
          },
        },
      ],
    },
    {
      name: "grants",
      description: "show, set and check a group's grant rules",
      subcommands: [
        {
          name: "show",
          description: "a group's rules: the derived defaults, the operator's overrides, and limits agents set",
          arguments: [{ name: "group", description: "group folder" }],
          run: ({ args }) => {
            const group = existingGroup(kernel, args[0] as string);
            const { derived, overrides, limits } = kernel.grants.rules(group);
            const lines = [...derived.map((rule) => `${rule}    (default)`), ...overrides.map((rule) => `${rule}    (override)`)];
            if (lines.length === 0) lines.push(`no rules: ${group} may call no tool`);
            for (const limit of limits) {
              lines.push(`limited by ${limit.group} (set_grants; a call must also match one of these):`, ...limit.rules.map((rule) => `  ${rule}`));
            }
            return lines.join("\n");
          },
        },
        {
          name: "set",
          description: "replace a group's overrides (checked after its defaults; none clears them)",
          arguments: [
            { name: "group", description: "group folder" },
            { name: "rules", description: "rules such as 'send(chat=web:*)' '!delete'", required: false, variadic: true },
          ],
          run: ({ args }) => {
            const group = existingGroup(kernel, args[0] as string);
            const rules = (args[1] as string[] | undefined) ?? [];
            kernel.grants.setOverrides(group, rules);
            return rules.length > 0 ? `${rules.length} override${rules.length === 1 ? "" : "s"} set for ${group}` : `overrides of ${group} cleared`;
          },
        },
        {
          name: "check",
          description: "whether a group may call a tool with these params",
          arguments: [
            { name: "group", description: "group folder" },
            { name: "action", description: "tool name, e.g. send" },
            { name: "params", description: "name=value pairs, e.g. chat=web:local/c1 sender_role=member", required: false, variadic: true },
          ],
          run: ({ args }) => {
            const group = existingGroup(kernel, args[0] as string);
            const params: Record<string, string> = {};
            for (const pair of (args[2] as string[] | undefined) ?? []) {
              const equals = pair.indexOf("=");
              if (equals < 1) throw new ArizukoError("ARZ_ERR_USAGE", `expected name=value, got ${JSON.stringify(pair)}`);
              params[pair.slice(0, equals)] = pair.slice(equals + 1);
            }
            const role = params.sender_role ?? "member";
            if (!SENDER_ROLES.includes(role as SenderRole)) {
              throw new ArizukoError("ARZ_ERR_USAGE", `sender_role must be one of ${SENDER_ROLES.join(", ")}, got ${JSON.stringify(role)}`);
            }
            const action = args[1] as string;
            const set = kernel.grants.effective(group, null);
            const verdict = checkGrants(set, action, grantParams(params, role));
            const lines = [verdict.allowed ? `allowed by ${verdict.rule}` : GrantsService.denial(set, verdict, group, action).replace(/^no /, "denied: no ")];
            if (params.sender_role === undefined) lines.push("(checked as sender_role=member; pass sender_role=guest or operator for others)");
            if (!action.includes("*") && !kernel.registries.tools.has(action)) lines.push(`note: no tool named ${action} is registered; check the spelling (arizuko grants show lists rules, docs/mcp-tools.md the tools)`);
            return { output: lines.join("\n"), exitCode: verdict.allowed ? 0 : 1 };
          },
        },
      ],
    },
    {
      name: "doctor",
      description: "check the config, database, disk, agent runner, model endpoint and clock; ok, warn or fail per line with the fix",
      run: async () => formatFindings(await doctor({ file: kernel.resolved.file ?? undefined, overrides: { data: kernel.resolved.dataDir } })),
    },
    {
      name: "config",
      description: "check the config file, or print its JSON Schema",
      subcommands: [
        {
          name: "schema",
          description: "print the JSON Schema of the whole config (core and plugin settings), for editors",
          run: async () => (await schemaOutput({ file: kernel.resolved.file ?? undefined, cwd: kernel.resolved.baseDir })).output,
        },
        {
          name: "check",
          description: "validate the config and every plugin's settings, listing each problem with its fix (exit 1 when any)",
          run: async () => {
            const { output, exitCode } = await checkConfig({ file: kernel.resolved.file ?? undefined, cwd: kernel.resolved.baseDir });
            return { output, exitCode };
          },
        },
      ],
    },
    {
      name: "migrate",
      description: "apply pending database migrations of the core and every configured plugin (--dry-run lists them and applies none)",
      options: [{ flags: "--dry-run", description: "list the migrations that would run, and apply none" }],
      run: ({ offline }) => {
        // Migrations run whenever a host opens the store; this reports what this one applied.
        const applied = kernel.store.applied;
        const when = offline ? "" : " when the running instance started";
        const summary = applied.length > 0 ? `applied ${applied.join(", ")}${when}` : "nothing to apply";
        return `${summary}; database ${kernel.store.file} is up to date`;
      },
    },
    {
      name: "plugins",
      description: "list plugins and their state (--details: what each registered)",
      options: [{ flags: "--details", description: "also list each plugin's hook taps, HTTP routes, MCP tools, chat commands and CLI commands" }],
      run: ({ offline, options }) => {
        const rows = kernel.statuses.all().map(([name, status]) => [name, status.state, status.version ?? "", status.source, status.error ?? ""]);
        const note = offline ? "\n(no instance is running: these states come from loading the plugins for this command)" : "";
        const details = options.details ? `\n\n${registrations(kernel)}` : "";
        const sources = new Set(kernel.statuses.all().map(([, status]) => status.source));
        const idle = installedPlugins(kernel.resolved.baseDir).filter((found) => !sources.has(found.name));
        const other = idle.length > 0 ? `\n\ninstalled, not in the config's plugins (add one to load it):\n${idle.map((found) => `  ${found.name} ${found.version ?? ""}`.trimEnd()).join("\n")}` : "";
        return table([["NAME", "STATE", "VERSION", "SOURCE", "ERROR"], ...rows]) + details + other + note;
      },
    },
  ];
}
