/**
 * The Groups page: the folder tree with a form that creates a group, and one group's
 * view. That view has its name (rename, remove), the routes that reach it, its grant
 * rules by origin (the operator's overrides editable), its sessions per chat and topic,
 * its memory files read-only, and its child groups.
 */
import { parentFolder, type GroupInfo, type Host, type RouteRow } from "@arizuko/sdk";
import { html, isoTime, state, table, type Html } from "./html.js";
import { listMemoryFiles, readMemoryFile, type MemoryFile } from "./memory-files.js";

/** The result of the last write of a section: a notice, or an error beside its form with the typed values. */
export interface SectionOutcome {
  notice?: string;
  error?: string;
  values?: Record<string, string>;
}

const notice = (outcome: SectionOutcome) =>
  html`${outcome.notice ? html`<p class="notice" role="status">${outcome.notice}</p>` : ""}${outcome.error ? html`<p class="error" role="alert">${outcome.error}</p>` : ""}`;

const groupState = (group: GroupInfo) => state(group.paused ? "paused" : "ok");
const groupLink = (folder: string) => html`<a href="/dash/groups/${folder}">${folder}</a>`;

/** Nested lists of the groups below `parent` (null: the top level). */
function tree(groups: GroupInfo[], parent: string | null): Html {
  const level = groups.filter((group) => parentFolder(group.folder) === parent);
  if (level.length === 0) return html``;
  return html`<ul class="tree">${level.map((group) => html`<li>${groupLink(group.folder)} ${group.name !== group.folder ? html`<span class="muted">${group.name}</span> ` : ""}${groupState(group)}${tree(groups, group.folder)}</li>`)}</ul>`;
}

/** Renders the tree and the create form; a create swaps both. */
export function groupsSection(host: Host, outcome: SectionOutcome = {}, parent?: string): Html {
  const groups = host.groups.list();
  const values = outcome.values ?? { folder: parent ? `${parent}/` : "", name: "" };
  return html`<section id="groups" aria-labelledby="groups-title">
<h2 id="groups-title">Folder tree</h2>
${groups.length === 0 ? html`<p class="muted">no groups: create one below, then route messages to it on the Routes page</p>` : tree(groups, null)}
<h3 id="create">Create a group</h3>
<p class="muted">A folder is up to four levels of lowercase letters, digits, <code>_</code> and <code>-</code>, e.g. <code>support</code> or <code>acme/support</code>; a nested group needs its parent. The new folder is a copy of the group template.</p>
<form id="create-group" class="inline" hx-post="/dash/groups" hx-target="#groups" hx-swap="outerHTML">
  <label for="create-folder">Folder</label> <input id="create-folder" name="folder" value="${values.folder ?? ""}" required placeholder="acme/support">
  <label for="create-name">Name</label> <input id="create-name" name="name" value="${values.name ?? ""}" placeholder="(the folder)">
  <button type="submit">Create</button>
  ${notice(outcome)}
</form>
</section>`;
}

/** Name, folder, state, and the rename and remove forms; `routes` are the ids of rows that reach the group. */
export function aboutSection(group: GroupInfo, outcome: SectionOutcome = {}, routes: number[] = []): Html {
  const routeWarning = routes.length > 0 ? ` Route${routes.length === 1 ? "" : "s"} ${routes.join(", ")} still point${routes.length === 1 ? "s" : ""} at it and will be skipped.` : "";
  return html`<section id="about" aria-labelledby="about-title">
<h2 id="about-title">About</h2>
<dl class="facts">
<dt>Folder</dt><dd><code>${group.folder}</code></dd>
<dt>On disk</dt><dd><code>${group.path}</code></dd>
<dt>State</dt><dd>${groupState(group)}${group.paused ? html` <span class="muted">after failed runs; resume with <code>arizuko group resume ${group.folder}</code></span>` : ""}</dd>
</dl>
<form id="rename-group" class="inline" hx-post="/dash/groups/rename" hx-target="#about" hx-swap="outerHTML">
  <input type="hidden" name="folder" value="${group.folder}">
  <label for="rename-name">Name</label> <input id="rename-name" name="name" value="${outcome.values?.name ?? group.name}" required>
  <button type="submit">Rename</button>
  ${notice(outcome)}
</form>
<p><button type="button" id="remove-group" class="secondary" hx-post="/dash/groups/remove" hx-vals='${JSON.stringify({ folder: group.folder })}' hx-confirm="Remove group ${group.folder}? Its folder stays on disk.${routeWarning}" hx-target="#about" hx-swap="outerHTML">Remove group</button>
<span class="muted">Refused while it has child groups, a run or queued messages.</span></p>
</section>`;
}

/** Tells whether a route's target names `folder`; a `{sender}` segment stands for any one segment. */
export function reaches(target: string, folder: string): boolean {
  if (!target.includes("{")) return target === folder;
  const pattern = target
    .split(/(\{[a-z_]+\})/)
    .map((part) => (/^\{[a-z_]+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${pattern}$`).test(folder);
}

function routesSection(routes: RouteRow[] | null, folder: string): Html {
  if (routes === null) return html`<p class="muted">the route-table plugin is not loaded</p>`;
  const rows = routes.filter((route) => reaches(route.target, folder)).map((route) => [route.id, route.seq, html`<code>${route.match || "(everything)"}</code>`, route.target, route.mode]);
  return table(["Id", "Seq", "Match", "Target", "Mode"], rows, "no route reaches this group; add one on the Routes page", "group-routes");
}

/** Renders the rules in the order they are checked, each with its origin, and the overrides form. */
export function grantsSection(host: Host, folder: string, outcome: SectionOutcome = {}): Html {
  const rules = host.instance.groups.grants(folder);
  const rows = [
    ...rules.derived.map((rule) => [html`<code>${rule}</code>`, "default", "derived from the group's depth and the routes that reach it"]),
    ...rules.overrides.map((rule) => [html`<code>${rule}</code>`, "override", "set by an operator; checked after the defaults"]),
  ].map((row, index) => [index + 1, ...row]);
  const limits = rules.limits.map(
    (limit) => html`<p>Limited by <strong>${limit.group}</strong> (an agent's <code>set_grants</code>): a call must also match one of ${limit.rules.map((rule) => html`<code>${rule}</code> `)}</p>`,
  );
  const text = outcome.values?.rules ?? rules.overrides.join("\n");
  return html`<section id="grants" aria-labelledby="grants-title">
<h2 id="grants-title">Grants</h2>
<p class="muted">Rules are checked in order and the last one that matches a tool call decides; no match denies.</p>
${table(["#", "Rule", "Origin", "Where it comes from"], rows, `no rules: ${folder} may call no tool`, "grant-rules")}
${limits}
<form id="grant-overrides" hx-post="/dash/groups/grants" hx-target="#grants" hx-swap="outerHTML">
  <input type="hidden" name="folder" value="${folder}">
  <label for="override-rules">Operator overrides, one rule per line (e.g. <code>send(chat=web:*)</code>, <code>!delete</code>)</label>
  <textarea id="override-rules" name="rules" rows="4">${text}</textarea>
  <div><button type="submit">Save overrides</button></div>
  ${notice(outcome)}
</form>
</section>`;
}

function sessionsTable(host: Host, folder: string): Html {
  const rows = host.instance.groups.sessions(folder).map((session) => [
    html`<a href="/dash/activity?chat=${encodeURIComponent(session.chat)}&amp;group=${encodeURIComponent(folder)}">${session.chat}</a>`,
    session.topic || "(main)",
    session.sessionId ? html`<code>${session.sessionId}</code>` : html`<span class="muted">none (fresh next run)</span>`,
    session.lastSeq,
    isoTime(session.updatedAt),
  ]);
  return table(["Chat", "Topic", "Harness session", "Last seq seen", "Updated (UTC)"], rows, "no sessions yet: nothing has run in this group", "sessions");
}

function filesSection(group: GroupInfo, files: MemoryFile[], open: string | undefined): Html {
  const rows = files.map((file) => [html`<a href="/dash/groups/${group.folder}?file=${encodeURIComponent(file.path)}#file">${file.path}</a>`, `${file.size} B`, isoTime(file.modifiedAt)]);
  let view: Html = html``;
  if (open !== undefined) {
    const file = files.find((entry) => entry.path === open);
    if (!file) view = html`<p class="error" role="alert" id="file">${open === "" ? "No file was named" : html`<code>${open}</code> is not a readable file of this group (links, host state, media and child groups are not shown)`}; pick one from the list.</p>`;
    else {
      const content = readMemoryFile(group.path, file);
      view = html`<article id="file"><h3>${file.path}</h3>${content.binary ? html`<p class="muted">a binary file of ${file.size} bytes; not shown</p>` : html`<pre class="file">${content.text}</pre>`}${content.cut && !content.binary ? html`<p class="muted">shown cut at 256 KiB of ${file.size} bytes</p>` : ""}</article>`;
    }
  }
  return html`<section id="memory" aria-labelledby="memory-title">
<h2 id="memory-title">Memory files</h2>
<p class="muted">Read-only. Received media, harness sessions, host state and child groups' folders are not listed; symbolic links are not followed.</p>
${table(["File", "Size", "Modified (UTC)"], rows, "the group folder has no files", "memory-files")}
${view}
</section>`;
}

function childrenSection(host: Host, folder: string): Html {
  const children = host.groups.list().filter((group) => parentFolder(group.folder) === folder);
  return html`<section id="children" aria-labelledby="children-title">
<h2 id="children-title">Child groups</h2>
${children.length === 0 ? html`<p class="muted">none</p>` : html`<ul>${children.map((child) => html`<li>${groupLink(child.folder)} <span class="muted">${child.name}</span></li>`)}</ul>`}
<p><a href="/dash/groups?parent=${encodeURIComponent(folder)}#create">Create a group under ${folder}</a></p>
</section>`;
}

/** Renders the body of one group's page. */
export function groupView(host: Host, group: GroupInfo, file: string | undefined): Html {
  const routes = host.services.use("routes")?.list() ?? null;
  const parent = parentFolder(group.folder);
  return html`<p><a href="/dash/groups">← All groups</a>${parent ? html` · parent ${groupLink(parent)}` : ""}</p>
${aboutSection(group, {}, (routes ?? []).filter((route) => reaches(route.target, group.folder)).map((route) => route.id))}
<section id="routes-of-group" aria-labelledby="group-routes-title"><h2 id="group-routes-title">Routes</h2>${routesSection(routes, group.folder)}</section>
${grantsSection(host, group.folder)}
<section aria-labelledby="sessions-title"><h2 id="sessions-title">Sessions</h2>${sessionsTable(host, group.folder)}</section>
${filesSection(group, listMemoryFiles(group.path), file)}
${childrenSection(host, group.folder)}`;
}
