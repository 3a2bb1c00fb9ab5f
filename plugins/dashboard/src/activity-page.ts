/**
 * The Activity page. Its list shows recent messages in and out across chats, each with
 * the routing decision that placed it (layer, reason, group, topic), filtered by
 * platform, chat and group. A message's trace shows how it was stored and routed, the
 * run that took it, that run's tool calls with their verdicts, and each delivery
 * attempt of its replies.
 */
import type { ActivityEntry, DeliveryInfo, Host, MessageTrace, RunInfo, StoredMessage } from "@arizuko/sdk";
import { duration, excerpt, html, isoTime, state, table, type Html } from "./html.js";

export const PAGE_ROWS = 50;

export interface ActivityFilters {
  platform?: string;
  chat?: string;
  group?: string;
  before?: string;
}

/** Returns the filters that are set, trimmed; an empty field means "any". */
export function activeFilters(query: ActivityFilters): { platform?: string; chat?: string; group?: string; beforeSeq?: number } {
  const value = (field: string | undefined) => (field === undefined || field.trim() === "" ? undefined : field.trim());
  const platform = value(query.platform);
  const chat = value(query.chat);
  const group = value(query.group);
  const before = value(query.before);
  return {
    ...(platform !== undefined && { platform }),
    ...(chat !== undefined && { chat }),
    ...(group !== undefined && { group }),
    ...(before !== undefined && { beforeSeq: Number(before) }),
  };
}

function queryString(filters: ReturnType<typeof activeFilters>, before?: number): string {
  const params = new URLSearchParams();
  if (filters.platform) params.set("platform", filters.platform);
  if (filters.chat) params.set("chat", filters.chat);
  if (filters.group) params.set("group", filters.group);
  if (before !== undefined) params.set("before", String(before));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Renders where routing sent a message, and by which layer. */
function decision(message: StoredMessage): Html {
  if (message.direction === "out") return html`<span class="muted">written by</span> ${message.group ?? "the host"}`;
  if (message.routeLayer === null) return html`<span class="muted">not routed yet</span>`;
  const target = message.group === null ? html`no group` : html`<a href="/dash/groups/${message.group}">${message.group}</a>${message.routeTopic ? ` #${message.routeTopic}` : ""}`;
  return html`${target} <span class="muted">by ${message.routeLayer}: ${message.routeReason ?? ""}</span>`;
}

function messageRow(message: ActivityEntry): unknown[] {
  return [
    html`<a class="seq" href="/dash/activity/${message.seq}">${message.seq}</a>`,
    isoTime(message.storedAt),
    html`<a href="/dash/activity?chat=${encodeURIComponent(message.chat)}">${message.chat}</a>${message.topic ? html` <span class="muted">#${message.topic}</span>` : ""}`,
    message.direction === "in" ? "in" : "out",
    html`${message.senderName ?? message.sender}${message.senderName ? html` <span class="muted">${message.sender}</span>` : ""}`,
    html`${message.kind === "message" ? "" : html`<span class="muted">${message.kind}</span> `}${excerpt(message.text)}${message.attachments.length > 0 ? html` <span class="muted">(+${message.attachments.length} file${message.attachments.length === 1 ? "" : "s"})</span>` : ""}`,
    // An outbound row's own state is bookkeeping for the next run; its delivery is what matters.
    message.direction === "out" ? state(message.delivery ?? "stored") : state(message.state),
    decision(message),
  ];
}

/** Renders the message list, which reloads itself while it shows the newest page. */
export function activityList(host: Host, query: ActivityFilters): Html {
  const filters = activeFilters(query);
  const messages = host.instance.activity.list({ ...filters, limit: PAGE_ROWS });
  const live = filters.beforeSeq === undefined ? html` hx-get="/dash/activity/list${queryString(filters)}" hx-trigger="arizuko:changed from:body" hx-swap="outerHTML"` : "";
  const last = messages.at(-1);
  const older = messages.length === PAGE_ROWS && last ? html`<a href="/dash/activity${queryString(filters, last.seq)}">Older messages</a>` : "";
  const newest = filters.beforeSeq !== undefined ? html`<a href="/dash/activity${queryString(filters)}">Newest messages</a>` : "";
  const paging = older || newest ? html`<p class="paging">${newest} ${older}</p>` : "";
  return html`<section id="activity"${live} aria-labelledby="activity-title">
<h2 id="activity-title">${filters.beforeSeq === undefined ? "Newest messages" : `Messages before ${filters.beforeSeq}`}</h2>
${table(["Seq", "Stored (UTC)", "Chat", "Dir", "Sender", "Text", "State", "Routing"], messages.map(messageRow), "no messages match these filters", "activity-list")}
${paging}
</section>`;
}

/** Renders the filter form: a plain GET form, so it works without JavaScript. */
export function activityFilters(host: Host, query: ActivityFilters): Html {
  const filters = activeFilters(query);
  const option = (value: string, selected: string | undefined) => html`<option value="${value}"${value === selected ? html` selected` : ""}>${value}</option>`;
  return html`<form method="get" action="/dash/activity" class="filters">
  <label for="platform">Platform</label>
  <select id="platform" name="platform"><option value="">all</option>${host.instance.activity.platforms().map((platform) => option(platform, filters.platform))}</select>
  <label for="chat">Chat JID</label> <input id="chat" name="chat" value="${filters.chat ?? ""}" placeholder="telegram:bot/123">
  <label for="group">Group</label>
  <select id="group" name="group"><option value="">all</option>${host.groups.list().map((group) => option(group.folder, filters.group))}</select>
  <button type="submit">Filter</button> <a href="/dash/activity">clear</a>
</form>
${filters.group !== undefined && !host.groups.exists(filters.group) ? html`<p class="error" role="alert">There is no group ${filters.group}; messages it had before it was removed are still listed.</p>` : ""}`;
}

function runView(run: RunInfo | null): Html {
  if (!run) return html`<p class="muted">no run has taken this message (yet)</p>`;
  const tokens = run.inputTokens === null ? "–" : `${run.inputTokens} in, ${run.outputTokens ?? 0} out`;
  return html`<dl class="facts">
<dt>Run</dt><dd><code>${run.id}</code></dd>
<dt>Group, topic</dt><dd><a href="/dash/groups/${run.group}">${run.group}</a> ${run.topic ? `#${run.topic}` : "(main)"}</dd>
<dt>Runner, harness</dt><dd>${run.runner}, ${run.harness ?? "–"}</dd>
<dt>Started</dt><dd>${isoTime(run.startedAt)}</dd>
<dt>Duration</dt><dd>${run.endedAt === null ? "still running" : duration(run.endedAt - run.startedAt)}</dd>
<dt>Tokens</dt><dd>${tokens}${run.costUsd !== null ? `, $${run.costUsd.toFixed(4)}` : ""}</dd>
<dt>Ended</dt><dd>${state(run.state)} ${run.error ?? ""}</dd>
</dl>`;
}

/** Renders the attachments as the agent saw them: where each was stored, and its transcript or why it has none. */
function filesTable(trace: MessageTrace): Html {
  const rows = trace.files.map((file) => [file.name, file.mime, file.size ?? "–", file.path ? html`<code>${file.path}</code>` : "not stored", file.transcript !== undefined ? html`<span class="quote">${file.transcript}</span>` : "", file.error ?? ""]);
  return table(["Name", "Type", "Bytes", "Stored at", "Transcript", "Problem"], rows, "", "files");
}

function deliveriesTable(deliveries: DeliveryInfo[]): Html {
  const rows = deliveries.map((delivery) => [
    `${delivery.chunkIndex + 1} of ${delivery.chunkCount}`,
    state(delivery.state),
    delivery.attempts,
    delivery.platformMessageId ?? "–",
    delivery.error ?? "",
    isoTime(delivery.updatedAt),
  ]);
  return table(["Part", "State", "Failed attempts", "Platform id", "Last error", "Updated (UTC)"], rows, "nothing sent to the platform for this message");
}

/** Sums up an outbound message's deliveries as the Activity list does. */
function deliveryOf(trace: MessageTrace): string {
  const deliveries = trace.replies.find((reply) => reply.message.seq === trace.message.seq)?.deliveries ?? [];
  if (deliveries.length === 0) return "stored";
  if (deliveries.some((delivery) => delivery.state === "failed")) return "failed";
  return deliveries.every((delivery) => delivery.state === "delivered") ? "delivered" : "sending";
}

/** Renders a message's whole trace, which reloads itself since its run may still be going. */
export function traceView(seq: number, trace: MessageTrace): Html {
  const { message } = trace;
  const attachments = message.attachments.map((file) => html`<li>${file.name ?? "(no name)"} <span class="muted">${file.mime ?? ""} ${file.size ?? ""}</span></li>`);
  const replies = trace.replies.map(
    (reply) => html`<article><h3><a href="/dash/activity/${reply.message.seq}">Message ${reply.message.seq}</a> to ${reply.message.chat} <span class="muted">${isoTime(reply.message.storedAt)}</span></h3>
<p class="quote">${excerpt(reply.message.text, 400)}</p>
${deliveriesTable(reply.deliveries)}</article>`,
  );
  const calls = trace.toolCalls.map((call) => [isoTime(call.createdAt), html`<code>${call.tool}</code>`, state(call.verdict), `${call.durationMs} ms`, call.error ?? ""]);

  return html`<section id="trace" hx-get="/dash/activity/${seq}/trace" hx-trigger="arizuko:changed from:body" hx-swap="outerHTML">
<h2>Stored</h2>
<dl class="facts">
<dt>Seq, id</dt><dd>${message.seq}, <code>${message.id}</code></dd>
<dt>Chat</dt><dd><a href="/dash/activity?chat=${encodeURIComponent(message.chat)}">${message.chat}</a>${message.topic ? ` #${message.topic}` : ""}</dd>
<dt>Direction, kind</dt><dd>${message.direction}, ${message.kind}${message.verb && message.verb !== message.kind ? ` (${message.verb})` : ""}</dd>
<dt>Sender</dt><dd>${message.senderName ? `${message.senderName} ` : ""}<code>${message.sender}</code></dd>
<dt>Platform id</dt><dd><code>${message.platformId}</code>${message.replyTo ? html` <span class="muted">in reply to ${message.replyTo}</span>` : ""}</dd>
<dt>Sent, stored</dt><dd>${isoTime(message.ts)}, ${isoTime(message.storedAt)}</dd>
<dt>State</dt><dd>${message.direction === "out" ? state(deliveryOf(trace)) : state(message.state)}</dd>
</dl>
<p class="quote">${message.text}</p>
${attachments.length > 0 ? html`<ul>${attachments}</ul>` : ""}
<h2>Routed</h2>
<dl class="facts">
<dt>Layer</dt><dd>${message.routeLayer ?? (message.direction === "out" ? "(outbound: not routed)" : "not routed yet")}</dd>
<dt>Reason</dt><dd>${message.routeReason ?? "–"}</dd>
<dt>Group, topic</dt><dd>${message.group ? html`<a href="/dash/groups/${message.group}">${message.group}</a> ${message.routeTopic ? `#${message.routeTopic}` : "(main)"}` : "no group"}</dd>
${message.routeText !== null ? html`<dt>Text the agent sees</dt><dd>${message.routeText}</dd>` : ""}
${message.origin ? html`<dt>Delegated from</dt><dd>${message.origin.chat} ${message.origin.topic ? `#${message.origin.topic}` : ""}, ${message.depth} deep</dd>` : ""}
${trace.notes.length > 0 ? html`<dt>Notes for the agent</dt><dd><ul>${trace.notes.map((note) => html`<li>${note}</li>`)}</ul></dd>` : ""}
</dl>
${trace.files.length > 0 ? html`<h2>Files</h2>${filesTable(trace)}` : ""}
<h2>Run</h2>
${runView(trace.run)}
<h2>Tool calls</h2>
${table(["When (UTC)", "Tool", "Verdict", "Took", "Reason or error"], calls, trace.run ? "the run called no tools" : "no run, so no tool calls", "tool-calls")}
<h2>Delivery</h2>
${replies.length > 0 ? html`${replies}` : html`<p class="muted">${trace.run ? "the run has written no reply" : "no reply yet"}</p>`}
</section>`;
}
