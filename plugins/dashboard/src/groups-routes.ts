/**
 * HTTP routes of the Groups page: the tree, one group's view, and the writes (create,
 * rename, remove, grant overrides). Each write checks the operator (and so the CSRF
 * token), goes through `host.instance.groups`, is recorded in the audit log, and replies
 * with the section it changed. A rejected write gets 200 with the error beside its form.
 */
import { ArizukoError, folderProblem, type Host, type UserInfo } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import { csrfOf, record } from "./audit.js";
import { operatorRoute } from "./gate.js";
import { html, type Html } from "./html.js";
import { layout, sendHtml, panelPages } from "./layout.js";
import { aboutSection, grantsSection, groupsSection, groupView, reaches, type SectionOutcome } from "./groups-page.js";

const FOLDER = { type: "string", maxLength: 300 };
const bodyOf = (properties: Record<string, unknown>, required: string[]) => ({ type: "object", additionalProperties: false, required, properties });

/** Returns the message of a 4xx, for the form that caused it; rethrows anything else. */
function problem(error: unknown): string {
  if (error instanceof ArizukoError && error.statusCode < 500) return error.message;
  throw error;
}

export function registerGroupsPage(host: Host): void {
  const groupOf = (folder: string) => {
    const invalid = folderProblem(folder);
    if (invalid) throw new ArizukoError("ARZ_ERR_GROUP_INVALID", `invalid group folder: ${invalid}`, { statusCode: 400 });
    const group = host.groups.get(folder);
    if (!group) throw new ArizukoError("ARZ_ERR_GROUP_NOT_FOUND", `group ${folder} does not exist; the Groups page lists them`, { statusCode: 404 });
    return group;
  };

  const routesTo = (folder: string) => (host.services.use("routes")?.list() ?? []).filter((route) => reaches(route.target, folder)).map((route) => route.id);

  operatorRoute(host, "page", {
    method: "GET",
    url: "/dash/groups",
    schema: { summary: "Groups page: the group tree", querystring: { type: "object", additionalProperties: false, properties: { parent: FOLDER, removed: FOLDER } } },
    handler: (request, reply, user) => {
      const { parent, removed } = request.query as { parent?: string; removed?: string };
      const outcome = removed ? { notice: `group ${removed} removed; its folder stays on disk until deleted by hand` } : {};
      return sendHtml(reply, layout({ title: "Groups", path: "/dash/groups", user, csrf: csrfOf(request), nav: panelPages(host) }, groupsSection(host, outcome, parent)));
    },
  });

  operatorRoute(host, "page", {
    method: "GET",
    url: "/dash/groups/*",
    schema: {
      summary: "One group's page: persona, memory files, routes and grants",
      description: "The path after /dash/groups/ is the group's folder, e.g. acme/support.",
      querystring: { type: "object", additionalProperties: false, properties: { file: { type: "string", maxLength: 1000, description: "a memory file to show" } } },
    },
    handler: (request, reply, user) => {
      const group = groupOf((request.params as { "*": string })["*"]);
      const { file } = request.query as { file?: string };
      return sendHtml(reply, layout({ title: `Group ${group.folder}`, path: "/dash/groups", user, csrf: csrfOf(request), nav: panelPages(host) }, groupView(host, group, file)));
    },
  });

  /** Registers a write: `change` returns the section to send back. */
  const write = (url: string, summary: string, properties: Record<string, unknown>, change: (user: UserInfo, body: Record<string, string>, reply: FastifyReply) => Html) =>
    operatorRoute(host, "write", {
      method: "POST",
      url,
      schema: { summary, body: bodyOf(properties, Object.keys(properties)) },
      handler: (request: FastifyRequest, reply: FastifyReply, user: UserInfo) => sendHtml(reply, change(user, request.body as Record<string, string>, reply)),
    });

  write("/dash/groups", "Create a group", { folder: FOLDER, name: { type: "string", maxLength: 400 } }, (user, body) => {
    const folder = body.folder!.trim();
    const name = body.name!.trim();
    let outcome: SectionOutcome;
    try {
      const group = host.instance.groups.create(folder, name === "" ? undefined : name);
      record(host, user, "group.create", `group ${group.folder}`, `named ${JSON.stringify(group.name)}`);
      outcome = { notice: `group ${group.folder} created at ${group.path}` };
    } catch (error) {
      outcome = { error: problem(error), values: { folder: body.folder!, name: body.name! } };
    }
    return groupsSection(host, outcome);
  });

  write("/dash/groups/rename", "Rename a group", { folder: FOLDER, name: { type: "string", maxLength: 400 } }, (user, body) => {
    const group = groupOf(body.folder!);
    try {
      const renamed = host.instance.groups.rename(group.folder, body.name!);
      record(host, user, "group.rename", `group ${group.folder}`, `${JSON.stringify(group.name)} → ${JSON.stringify(renamed.name)}`);
      return aboutSection(renamed, { notice: `renamed to ${renamed.name}` }, routesTo(group.folder));
    } catch (error) {
      return aboutSection(group, { error: problem(error), values: { name: body.name! } }, routesTo(group.folder));
    }
  });

  write("/dash/groups/remove", "Remove a group (its folder stays on disk)", { folder: FOLDER }, (user, body, reply) => {
    const group = groupOf(body.folder!);
    try {
      const { path } = host.instance.groups.remove(group.folder);
      record(host, user, "group.remove", `group ${group.folder}`, `folder kept at ${path}`);
    } catch (error) {
      return aboutSection(group, { error: problem(error) }, routesTo(group.folder));
    }
    // The group's page is gone: htmx goes to the tree, which shows the notice.
    reply.header("hx-redirect", `/dash/groups?removed=${encodeURIComponent(group.folder)}`);
    return html`<p class="notice">group ${group.folder} removed</p>`;
  });

  write("/dash/groups/grants", "Set a group's grant overrides", { folder: FOLDER, rules: { type: "string", maxLength: 20_000 } }, (user, body) => {
    const group = groupOf(body.folder!);
    const rules = body.rules!.split("\n").map((line) => line.trim()).filter((line) => line !== "");
    try {
      host.instance.groups.setOverrides(group.folder, rules);
      record(host, user, "grants.set", `group ${group.folder}`, rules.length > 0 ? rules.join(" ") : "overrides cleared");
      const saved = rules.length > 0 ? `${rules.length} override${rules.length === 1 ? "" : "s"} saved` : "overrides cleared";
      const unknown = unknownTools(host, rules);
      const note = unknown.length > 0 ? `; note: no tool named ${unknown.join(", ")} is registered, so ${unknown.length === 1 ? "that rule matches" : "those rules match"} nothing (check the spelling; docs/mcp-tools.md lists the tools)` : "";
      return grantsSection(host, group.folder, { notice: saved + note });
    } catch (error) {
      return grantsSection(host, group.folder, { error: problem(error), values: { rules: body.rules! } });
    }
  });
}

/** Names in `rules` that are no registered tool; a name with `*` is a pattern and is not checked. */
function unknownTools(host: Host, rules: string[]): string[] {
  const tools = new Set(host.tools.list().map((tool) => tool.name));
  const names = rules.map((rule) => rule.replace(/^!/, "").split("(")[0]!.trim());
  return [...new Set(names.filter((name) => !name.includes("*") && !tools.has(name)))];
}
