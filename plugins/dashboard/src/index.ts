/**
 * dashboard: the operator's window into a running arizuko, at `/dash`. Pages are
 * server-rendered HTML that work without JavaScript for reading. htmx (served by
 * arizuko itself) reloads fragments when `/dash/events` reports a change, and sends the
 * writes. Every URL needs a signed-in operator, and every write is CSRF-checked and
 * recorded in the audit log.
 */
import { readFileSync } from "node:fs";
import { ArizukoError, definePlugin, eventStreamResponse, HOST_API_VERSION, htmlResponse, SECURITY, type Host, type JsonSchema } from "@arizuko/sdk";
import { csrfOf, record } from "./audit.js";
import { ChangeStream } from "./changes.js";
import { operatorRoute } from "./gate.js";
import { html } from "./html.js";
import { layout, sendHtml, panelPages } from "./layout.js";
import { registerActivityPage } from "./activity-routes.js";
import { registerGroupsPage } from "./groups-routes.js";
import { registerRoutesPage } from "./routes-routes.js";
import { runsPage, type RunsQuery } from "./runs-page.js";
import { signInPage } from "./sign-in.js";
import { renderPanel, statusFragments, type Fragment } from "./status.js";

const ASSETS = [
  { url: "/dash/htmx.min.js", file: new URL("../vendor/htmx.min.js", import.meta.url), type: "text/javascript; charset=utf-8", summary: "htmx, served by arizuko" },
  { url: "/dash/dash.js", file: new URL("../public/dash.js", import.meta.url), type: "text/javascript; charset=utf-8", summary: "The dashboard's script" },
  { url: "/dash/dash.css", file: new URL("../public/dash.css", import.meta.url), type: "text/css; charset=utf-8", summary: "The dashboard's style sheet" },
];

const CODE_PARAMS = { type: "object", required: ["code"], properties: { code: { type: "string", pattern: "^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$" } } };

export default definePlugin<JsonSchema, Record<string, never>>({
  name: "dashboard",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Operator dashboard: status, activity with message traces, groups, runs, routes, pairing requests, plugin panels and the audit log.",
  configSchema: { type: "object", additionalProperties: false, properties: {} },

  register(host) {
    const fragments = statusFragments(host);
    const changes = new ChangeStream();
    host.onDispose(() => changes.close());

    for (const asset of ASSETS) {
      const body = readFileSync(asset.file);
      host.http.register({
        method: "GET",
        url: asset.url,
        schema: {
          summary: asset.summary,
          security: SECURITY.none,
          response: { 200: { description: "The file.", content: { [asset.type.split(";")[0]!]: { schema: { type: "string" } } } } },
        },
        handler: (_request, reply) => reply.headers({ "content-type": asset.type, "cache-control": "no-cache", "x-content-type-options": "nosniff" }).send(body),
      });
    }
    host.http.register({
      method: "GET",
      url: "/dash/sign-in",
      schema: { summary: "The dashboard's sign-in page", security: SECURITY.none, response: { 200: htmlResponse("The sign-in form; it posts to /auth/login.") } },
      handler: (request, reply) => sendHtml(reply, signInPage(request, host.users.enabled())) });

    operatorRoute(host, "page", {
      method: "GET",
      url: "/dash",
      schema: { summary: "Status page: plugins, channels, runs, pairing requests and the audit log" },
      handler: async (request, reply, user) => {
        const sections = await Promise.all(Object.values(fragments).map((render) => render()));
        return sendHtml(reply, layout({ title: "Status", path: "/dash", user, csrf: csrfOf(request), nav: panelPages(host) }, html`${sections}`));
      },
    });

    operatorRoute(host, "page", {
      method: "GET",
      url: "/dash/runs",
      schema: {
        summary: "Runs page: the runs of a day",
        querystring: { type: "object", additionalProperties: false, properties: { day: { type: "string", maxLength: 10, description: "YYYY-MM-DD; default today" }, group: { type: "string", maxLength: 200 } } },
      },
      handler: (request, reply, user) => {
        const body = runsPage(host, request.query as RunsQuery);
        return sendHtml(reply, layout({ title: "Runs", path: "/dash/runs", user, csrf: csrfOf(request), nav: panelPages(host) }, body));
      },
    });

    operatorRoute(host, "page", {
      method: "GET",
      url: "/dash/panels/:id",
      schema: { summary: "A plugin panel's page", params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 64 } } } },
      handler: async (request, reply, user) => {
        const panel = host.panels.list().find((candidate) => candidate.page && candidate.id === (request.params as { id: string }).id);
        if (!panel) throw new ArizukoError("ARZ_ERR_NOT_FOUND", "No plugin panel has this address; the navigation lists the panels with a page.", { statusCode: 404 });
        return sendHtml(reply, layout({ title: panel.title, path: `/dash/panels/${panel.id}`, user, csrf: csrfOf(request), nav: panelPages(host) }, await renderPanel(host, panel)));
      },
    });

    registerActivityPage(host);
    registerGroupsPage(host);
    registerRoutesPage(host);

    operatorRoute(host, "fragment", {
      method: "GET",
      url: "/dash/fragments/:id",
      schema: { summary: "One section of the Status page", params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 64 } } } },
      handler: async (request, reply) => {
        const render: Fragment | undefined = fragments[(request.params as { id: string }).id];
        if (!render) throw new ArizukoError("ARZ_ERR_NOT_FOUND", `no dashboard fragment ${(request.params as { id: string }).id}`, { statusCode: 404 });
        return sendHtml(reply, await render());
      },
    });

    operatorRoute(host, "fragment", {
      method: "GET",
      url: "/dash/events",
      schema: { summary: "Change notifications for live reload", response: { 200: eventStreamResponse("A `changed` event whenever messages, runs, channels or plugins change.") } },
      handler: (_request, reply) => {
        reply.hijack();
        changes.open(reply.raw);
      },
    });

    const pairingAction = (action: "approve" | "reject") =>
      operatorRoute(host, "write", {
        method: "POST",
        url: `/dash/pairings/:code/${action}`,
        schema: { summary: `${action === "approve" ? "Approve" : "Reject"} a pairing request`, params: CODE_PARAMS },
        handler: async (request, reply, user) => {
          const code = (request.params as { code: string }).code.toUpperCase();
          const detail = decide(host, action, code);
          record(host, user, `pairing.${action}`, code, detail);
          // The other fragments (the audit log among them) reload too.
          reply.header("hx-trigger", "arizuko:changed");
          return sendHtml(reply, await fragments.pairings!());
        },
      });
    pairingAction("approve");
    pairingAction("reject");

    operatorRoute(host, "write", {
      method: "POST",
      url: "/dash/runs/:id/stop",
      schema: { summary: "Stop a run", params: { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^run_[0-9a-z]{1,64}$" } } } },
      handler: async (request, reply, user) => {
        const { id } = request.params as { id: string };
        if (!host.runs.stopRun(id)) throw new ArizukoError("ARZ_ERR_RUN_NOT_FOUND", `run ${id} is not running; it may have just ended`, { statusCode: 404 });
        record(host, user, "run.stop", `run ${id}`, null);
        reply.header("hx-trigger", "arizuko:changed");
        return sendHtml(reply, await fragments.runs!());
      },
    });

    for (const hook of ["afterStore", "onAgentStart", "afterAgentRun", "onChannelStatus", "onPluginError"] as const) {
      host.hooks[hook].tap(() => changes.changed());
    }
  },
});

/** Approves or rejects a pairing code; returns the sender it concerned, for the audit log. */
function decide(host: Host, action: "approve" | "reject", code: string): string | null {
  if (action === "approve") return host.instance.pairings.approve(code).sender;
  const sender = host.instance.pairings.pending().find((pairing) => pairing.code === code)?.sender ?? null;
  if (!host.instance.pairings.reject(code)) {
    throw new ArizukoError("ARZ_ERR_PAIRING_NOT_FOUND", `no open pairing code ${code}; it was approved, rejected or has expired`, { statusCode: 404 });
  }
  return sender;
}
