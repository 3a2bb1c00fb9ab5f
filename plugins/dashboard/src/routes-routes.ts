/**
 * HTTP routes of the Routes page: the page itself and its writes. Each write checks the
 * operator (and so the CSRF token), changes the route table through the `routes`
 * service, records the change in the audit log and replies with the table section.
 * A rejected change gets 200 with the error beside its form, so htmx shows it.
 */
import { ArizukoError, type Host, type UserInfo } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import { operatorRoute } from "./gate.js";
import { html } from "./html.js";
import { csrfOf, record } from "./audit.js";
import { layout, sendHtml, panelPages } from "./layout.js";
import { explainSection, moveRow, parseSeq, routesSection, type ExplainForm, type Outcome, type RouteForm } from "./routes-page.js";

const FIELD = { type: "string", maxLength: 2000 };
const ROUTE_BODY = { type: "object", additionalProperties: false, properties: { match: FIELD, target: FIELD, mode: FIELD, seq: FIELD } };
const EXPLAIN_BODY = { type: "object", additionalProperties: false, properties: { chat: FIELD, sender: FIELD, text: FIELD } };
const ID_PARAMS = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^[0-9]{1,9}$" } } };

const problem = (error: unknown) => (error instanceof ArizukoError && error.statusCode < 500 ? error.message : null);

export function registerRoutesPage(host: Host): void {
  const routes = () => host.services.use("routes");

  operatorRoute(host, "page", {
    method: "GET",
    url: "/dash/routes",
    schema: { summary: "Routes page: the route table and the routing explainer" },
    handler: (request, reply, user) => sendHtml(reply, layout({ title: "Routes", path: "/dash/routes", user, csrf: csrfOf(request), nav: panelPages(host) }, html`${routesSection(routes())}${explainSection()}`)),
  });

  /** Runs one change of the table for an operator; `change` returns the notice, or throws a 4xx for the form. */
  const write = (url: string, summary: string, form: (request: FastifyRequest) => string, change: (request: FastifyRequest) => { notice: string; audit: [string, string, string | null] }) =>
    operatorRoute(host, "write", {
      method: "POST",
      url,
      schema: { summary, body: ROUTE_BODY, ...(url.includes(":id") && { params: ID_PARAMS }) },
      handler: (request: FastifyRequest, reply: FastifyReply, user: UserInfo) => {
        if (!routes()) return sendHtml(reply, routesSection(undefined));
        let outcome: Outcome;
        try {
          const { notice, audit } = change(request);
          record(host, user, ...audit);
          outcome = { notice };
        } catch (error) {
          const message = problem(error);
          if (message === null) throw error;
          outcome = { error: { form: form(request), message, values: (request.body ?? {}) as RouteForm } };
        }
        return sendHtml(reply, routesSection(routes(), outcome));
      },
    });

  const idOf = (request: FastifyRequest) => Number((request.params as { id: string }).id);
  const fields = (request: FastifyRequest) => (request.body ?? {}) as RouteForm;
  // The route table rejects any mode other than run and observe, with a message for the form.
  const mode = (value: string | undefined) => (value ?? "run") as "run" | "observe";
  const missing = (id: number) => new ArizukoError("ARZ_ERR_ROUTE_NOT_FOUND", `route ${id} no longer exists; the table below is current`, { statusCode: 404 });

  write("/dash/routes", "Add a route row", () => "add", (request) => {
    const body = fields(request);
    const seq = parseSeq(body.seq);
    const row = routes()!.add({ match: body.match ?? "", target: (body.target ?? "").trim(), mode: mode(body.mode), ...(seq !== undefined && { seq }) });
    return { notice: `route ${row.id} added: ${row.match || "(everything)"} → ${row.target}`, audit: ["route.add", `route ${row.id}`, `${row.match || "(everything)"} → ${row.target} (${row.mode}, seq ${row.seq})`] };
  });

  write("/dash/routes/:id/edit", "Replace a route row", (request) => String(idOf(request)), (request) => {
    const id = idOf(request);
    const table = routes()!;
    const old = table.list().find((row) => row.id === id);
    if (!old) throw missing(id);
    const body = fields(request);
    // The service has no update: the new row goes in at the same seq (validated there), then the old one goes.
    const row = table.add({ match: body.match ?? "", target: (body.target ?? "").trim(), mode: mode(body.mode), seq: old.seq });
    table.remove(id);
    return { notice: `route ${id} replaced by route ${row.id}: ${row.match || "(everything)"} → ${row.target}`, audit: ["route.edit", `route ${id}`, `now route ${row.id}: ${row.match || "(everything)"} → ${row.target} (${row.mode})`] };
  });

  for (const direction of ["up", "down"] as const) {
    write(`/dash/routes/:id/${direction}`, `Move a route row ${direction}`, (request) => String(idOf(request)), (request) => {
      const id = idOf(request);
      const moved = moveRow(routes()!, id, direction);
      if (moved === null) throw new ArizukoError("ARZ_ERR_ROUTE_MOVE", `route ${id} cannot move ${direction}: it is already ${direction === "up" ? "first" : "last"}, or gone`, { statusCode: 400 });
      return { notice: `route ${id} moved ${direction} (${moved})`, audit: [`route.move-${direction}`, `route ${id}`, moved] };
    });
  }

  write("/dash/routes/:id/delete", "Delete a route row", (request) => String(idOf(request)), (request) => {
    const id = idOf(request);
    const old = routes()!.list().find((row) => row.id === id);
    if (!old || !routes()!.remove(id)) throw missing(id);
    return { notice: `route ${id} deleted`, audit: ["route.delete", `route ${id}`, `${old.match || "(everything)"} → ${old.target}`] };
  });

  operatorRoute(host, "write", {
    method: "POST",
    url: "/dash/routes/explain",
    schema: { summary: "Explain how a message would be routed", body: EXPLAIN_BODY },
    handler: async (request, reply) => {
      const values = (request.body ?? {}) as ExplainForm;
      try {
        const result = await host.routing.explain({ chat: (values.chat ?? "").trim(), sender: (values.sender ?? "").trim(), text: values.text ?? "" });
        return sendHtml(reply, explainSection(values, result));
      } catch (error) {
        const message = problem(error);
        if (message === null) throw error;
        return sendHtml(reply, explainSection(values, null, message));
      }
    },
  });
}
