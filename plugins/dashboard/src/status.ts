/**
 * The Status page: uptime and version, plugins, channels, pending pairing requests with
 * approve and reject, the queue, live runs, failures of the last hour, plugin panels
 * and the audit log. Each section is a fragment that htmx reloads when the instance
 * reports a change over /dash/events.
 */
import type { Host, PanelSpec } from "@arizuko/sdk";
import { duration, html, isoTime, raw, state, table, type Html } from "./html.js";

const HOUR_MS = 3_600_000;
const AUDIT_ROWS = 20;

/** Wraps a fragment so htmx reloads it in place on the next change event. */
function section(id: string, title: string, body: Html): Html {
  return html`<section id="${id}" aria-labelledby="${id}-title" hx-get="/dash/fragments/${id}" hx-trigger="arizuko:changed from:body" hx-swap="outerHTML">
<h2 id="${id}-title">${title}</h2>
${body}
</section>`;
}

/** Renders a plugin panel's markup, or the error its `render` threw in its place. */
export async function renderPanel(host: Host, panel: PanelSpec & { plugin: string }): Promise<Html> {
  // A panel's markup is its plugin's own rendering, and plugins are trusted code of the host.
  try {
    return html`<div class="panel">${raw(await panel.render())}</div>`;
  } catch (error) {
    host.log.warn({ panel: panel.id, owner: panel.plugin, err: error }, "dashboard panel failed to render");
    return html`<div class="panel"><p class="error">this panel failed to render: ${(error as Error).message}</p></div>`;
  }
}

export type Fragment = () => Html | Promise<Html>;

export function statusFragments(host: Host): Record<string, Fragment> {
  const { instance } = host;

  return {
    overview() {
      const failed = host.runs.failures(Date.now() - HOUR_MS).reduce((sum, chat) => sum + chat.failed, 0);
      const degraded = instance.plugins().filter((plugin) => plugin.state !== "ok").length;
      return section(
        "overview",
        "Overview",
        html`<dl class="figures">
<div><dt>Version</dt><dd>${instance.version}</dd></div>
<div><dt>Up for</dt><dd>${duration(Date.now() - instance.startedAt)}</dd></div>
<div><dt>Queued messages</dt><dd>${instance.queueDepth()}</dd></div>
<div><dt>Live runs</dt><dd>${host.runs.active().length}</dd></div>
<div><dt>Failed messages, last hour</dt><dd>${failed}</dd></div>
<div><dt>Plugins not ok</dt><dd>${degraded}</dd></div>
</dl>`,
      );
    },

    plugins() {
      const rows = instance.plugins().map((plugin) => [html`${plugin.name}`, state(plugin.state), html`${plugin.version ?? ""}`, html`${plugin.failures}`, html`${plugin.error ?? ""}`]);
      return section("plugins", "Plugins", table(["Plugin", "State", "Version", "Hook failures", "Error"], rows, "no plugins loaded"));
    },

    channels() {
      const rows = host.channels.list().map((channel) => [html`${channel.name}`, html`${channel.plugin}`, state(channel.state), html`${channel.detail ?? ""}`, html`${isoTime(channel.lastInboundAt)}`]);
      return section("channels", "Channels", table(["Channel", "Plugin", "State", "Detail", "Last inbound"], rows, "no channels registered"));
    },

    pairings() {
      const rows = instance.pairings.pending().map((pairing) => [
        html`<code>${pairing.code}</code>`,
        html`${pairing.sender}`,
        html`${pairing.chat}`,
        html`${isoTime(pairing.createdAt)}`,
        html`<button type="button" hx-post="/dash/pairings/${pairing.code}/approve" hx-target="#pairings" hx-swap="outerHTML">Approve</button>
<button type="button" hx-post="/dash/pairings/${pairing.code}/reject" hx-target="#pairings" hx-swap="outerHTML" class="secondary">Reject</button>`,
      ]);
      return section("pairings", "Pairing requests", table(["Code", "Sender", "Chat", "Sent", "Action"], rows, "no pairing requests waiting"));
    },

    runs() {
      const rows = host.runs.active().map((run) => [
        html`${run.group}`,
        html`${run.chat}`,
        html`${run.topic || "(main)"}`,
        html`${duration(Date.now() - run.startedAt)}`,
        html`<code>${run.runId}</code>`,
        html`<button type="button" class="secondary" hx-post="/dash/runs/${run.runId}/stop" hx-confirm="Stop this run of ${run.group}?" hx-target="#runs" hx-swap="outerHTML">Stop</button>`,
      ]);
      return section("runs", "Live runs", table(["Group", "Chat", "Topic", "Running for", "Run", "Action"], rows, "no runs in progress"));
    },

    async panels() {
      const panels = host.panels.list();
      if (panels.length === 0) return section("panels", "Plugin panels", html`<p class="muted">no plugin added a panel</p>`);
      const articles = await Promise.all(
        panels.map(async (panel) => {
          if (panel.page) return html`<article><h3><a href="/dash/panels/${panel.id}">${panel.title}</a> <span class="muted">(${panel.plugin}; on its own page)</span></h3></article>`;
          return html`<article><h3>${panel.title} <span class="muted">(${panel.plugin})</span></h3>${await renderPanel(host, panel)}</article>`;
        }),
      );
      return section("panels", "Plugin panels", html`${articles}`);
    },

    audit() {
      const rows = instance.audit.list(AUDIT_ROWS).map((entry) => [html`${isoTime(entry.at)}`, html`${entry.actor}`, html`${entry.action}`, html`${entry.target}`, html`${entry.detail ?? ""}`]);
      return section("audit", "Audit log", table(["When", "Who", "What", "Target", "Detail"], rows, "no operator actions yet"));
    },
  };
}

