/**
 * The Routes page: the route table in the order it is checked, with add, edit, move and
 * delete, each error shown beside the form that caused it, and a box that runs
 * `route explain` on a sample message. The table belongs to the route-table plugin and
 * is reached through its `routes` service.
 */
import { ArizukoError, type Explanation, type Host, type RouteRow, type RoutesService } from "@arizuko/sdk";
import { html, type Html } from "./html.js";

export interface RouteForm {
  match?: string;
  target?: string;
  mode?: string;
  seq?: string;
}

export interface ExplainForm {
  chat?: string;
  sender?: string;
  text?: string;
}

/** Outcome of the last write: a notice above the table, or an error beside the form (`form` is the row id, or "add"). */
export interface Outcome {
  notice?: string;
  error?: { form: string; message: string; values: RouteForm };
}

function modeSelect(id: string, value: string): Html {
  return html`<select id="${id}" name="mode">${["run", "observe"].map((mode) => html`<option value="${mode}"${mode === value ? html` selected` : ""}>${mode}</option>`)}</select>`;
}

function errorFor(outcome: Outcome, form: string): Html {
  return outcome.error?.form === form ? html`<p class="error" role="alert">${outcome.error.message}</p>` : html``;
}

function rowView(row: RouteRow, index: number, count: number, outcome: Outcome): Html {
  const values = outcome.error?.form === String(row.id) ? outcome.error.values : { match: row.match, target: row.target, mode: row.mode };
  const post = (action: string) => html`hx-post="/dash/routes/${row.id}/${action}" hx-target="#routes" hx-swap="outerHTML"`;
  return html`<tr id="route-${row.id}">
<td class="number">${row.id}</td><td class="number">${row.seq}</td>
<td colspan="3"><form class="inline" ${post("edit")}>
  <label class="visually-hidden" for="match-${row.id}">Match of route ${row.id}</label>
  <input id="match-${row.id}" name="match" value="${values.match ?? ""}" placeholder="(everything)">
  <label class="visually-hidden" for="target-${row.id}">Target of route ${row.id}</label>
  <input id="target-${row.id}" name="target" value="${values.target ?? ""}" required>
  <label class="visually-hidden" for="mode-${row.id}">Mode of route ${row.id}</label>
  ${modeSelect(`mode-${row.id}`, values.mode ?? "run")}
  <button type="submit">Save</button>
  ${errorFor(outcome, String(row.id))}
</form></td>
<td class="actions">
  <button type="button" ${post("up")} ${index === 0 ? html`disabled` : ""} aria-label="Move route ${row.id} up">↑</button>
  <button type="button" ${post("down")} ${index === count - 1 ? html`disabled` : ""} aria-label="Move route ${row.id} down">↓</button>
  <button type="button" ${post("delete")} hx-confirm="Delete route ${row.id}?" class="secondary">Delete</button>
</td>
</tr>`;
}

/** Renders the route table section, which every write swaps whole. */
export function routesSection(routes: RoutesService | undefined, outcome: Outcome = {}): Html {
  if (!routes) return html`<section id="routes"><p class="error">The route-table plugin is not loaded, so there is no route table to edit.</p></section>`;
  const rows = routes.list();
  const add = outcome.error?.form === "add" ? outcome.error.values : {};
  // An error of a row that is gone (deleted elsewhere meanwhile) has no form to stand beside.
  const orphan = outcome.error && outcome.error.form !== "add" && !rows.some((row) => String(row.id) === outcome.error!.form) ? html`<p class="error" role="alert">${outcome.error.message}</p>` : "";
  return html`<section id="routes" aria-labelledby="routes-title">
<h2 id="routes-title">Route table</h2>
<p class="muted">Checked from the top; the first row that matches and whose group exists wins. Match terms: <code>platform=</code>, <code>account=</code>, <code>chat=</code>, <code>sender=</code>, <code>verb=</code>, <code>topic=</code> (globs) and <code>text~regex</code>. Moving a row swaps its seq with its neighbour's.</p>
${outcome.notice ? html`<p class="notice" role="status">${outcome.notice}</p>` : ""}${orphan}
${
  rows.length === 0
    ? html`<p class="muted">no routes: nothing is routed until a row is added</p>`
    : html`<table id="route-table"><thead><tr><th scope="col">Id</th><th scope="col">Seq</th><th scope="col" colspan="3">Match, target group, mode</th><th scope="col">Order</th></tr></thead><tbody>${rows.map((row, index) => rowView(row, index, rows.length, outcome))}</tbody></table>`
}
<h3>Add a route</h3>
<form id="add-route" class="inline" hx-post="/dash/routes" hx-target="#routes" hx-swap="outerHTML">
  <label for="add-match">Match</label> <input id="add-match" name="match" value="${add.match ?? ""}" placeholder="platform=telegram verb=mention">
  <label for="add-target">Target group</label> <input id="add-target" name="target" value="${add.target ?? ""}" required>
  <label for="add-mode">Mode</label> ${modeSelect("add-mode", add.mode ?? "run")}
  <label for="add-seq">Seq</label> <input id="add-seq" name="seq" value="${add.seq ?? ""}" inputmode="numeric" placeholder="after the last" size="8">
  <button type="submit">Add</button>
  ${errorFor(outcome, "add")}
</form>
</section>`;
}

/** Renders the "test a route" box and, after a request, what routing would do. */
export function explainSection(values: ExplainForm = {}, result: Explanation | null = null, error: string | null = null): Html {
  return html`<section id="explain" aria-labelledby="explain-title">
<h2 id="explain-title">Test a route</h2>
<form class="inline" hx-post="/dash/routes/explain" hx-target="#explain" hx-swap="outerHTML">
  <label for="explain-chat">Chat JID</label> <input id="explain-chat" name="chat" value="${values.chat ?? "web:local/c1"}" required>
  <label for="explain-sender">Sender JID</label> <input id="explain-sender" name="sender" value="${values.sender ?? "web:v_test"}" required>
  <label for="explain-text">Text</label> <input id="explain-text" name="text" value="${values.text ?? ""}">
  <button type="submit">Explain</button>
</form>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
${result ? explanationView(result) : ""}
</section>`;
}

/** Renders an explanation in the terms `arizuko route explain` prints: each stage decides or passes. */
function explanationView(result: Explanation): Html {
  if (result.denial !== null) {
    return html`<dl id="explanation"><dt>Sender role</dt><dd>${result.role}</dd><dt>Admission</dt><dd>denied (${result.denial}); stored as context, starts nothing</dd></dl>`;
  }
  if (result.control) {
    const reply = result.control.reply ? html`; replies <q>${result.control.reply}</q>` : "";
    return html`<dl id="explanation"><dt>Sender role</dt><dd>${result.role}</dd><dt>Admission</dt><dd>admitted</dd><dt>Control</dt><dd>handled by ${result.control.plugin} (${result.control.reason})${reply}; never an agent turn</dd></dl>`;
  }
  const stages = result.stages.map((stage) => {
    const verdict = stage.layer === stage.plugin ? `decides ${stage.target ?? "no route"}${stage.topic ? ` #${stage.topic}` : ""} (${stage.reason})` : "passes";
    return html`<li>stage ${stage.stage} ${stage.plugin}: ${verdict}</li>`;
  });
  const { result: outcome } = result;
  const where = outcome.group ? `${outcome.group}${outcome.topic ? ` #${outcome.topic}` : ""}` : "no group";
  return html`<dl id="explanation">
<dt>Sender role</dt><dd>${result.role}</dd>
<dt>Admission</dt><dd>admitted</dd>
<dt>Control</dt><dd>not a control message</dd>
<dt>Stages</dt><dd><ol>${stages}</ol></dd>
<dt>Result</dt><dd>${outcome.state} → ${where} by ${outcome.layer} (${outcome.reason})</dd>
${outcome.delegatedTo ? html`<dt>Delegation</dt><dd>a message from the owner to ${outcome.delegatedTo}</dd>` : ""}
${outcome.state === "pending" ? html`<dt>Session</dt><dd>${result.sessionId ?? "new"}</dd>` : ""}
</dl>
<p class="muted"><code>pending</code> starts or joins a run, <code>context</code> is stored only, <code>done</code> was handled without a run of this group (a delegation, a command).</p>`;
}

/** Parses a seq field: empty means "after the last row". */
export function parseSeq(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (!/^\d{1,9}$/.test(value.trim())) throw new ArizukoError("ARZ_ERR_ROUTE_SEQ", `invalid seq ${JSON.stringify(value)}; use a whole number from 0 to 999999999, or leave it empty to add after the last row`, { statusCode: 400 });
  return Number(value.trim());
}

/** Swaps a row with its neighbour above or below; returns what changed, or null at either end. */
export function moveRow(routes: RoutesService, id: number, direction: "up" | "down"): string | null {
  const rows = routes.list();
  const index = rows.findIndex((row) => row.id === id);
  const other = rows[direction === "up" ? index - 1 : index + 1];
  if (index < 0 || !other) return null;
  const row = rows[index]!;
  if (row.seq === other.seq) {
    // Equal seqs are ordered by id, which a swap cannot change: the row that goes first gets seq - 1.
    const first = direction === "up" ? row : other;
    const seq = Math.max(0, row.seq - 1);
    routes.move(first.id, seq);
    return `route ${first.id} seq ${row.seq} → ${seq}`;
  }
  routes.move(row.id, other.seq);
  routes.move(other.id, row.seq);
  return `route ${row.id} seq ${row.seq} → ${other.seq}, route ${other.id} seq ${other.seq} → ${row.seq}`;
}
