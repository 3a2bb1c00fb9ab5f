/** HTTP routes of the Activity page: the list with its filters, and one message's trace. */
import { ArizukoError, type Host } from "@arizuko/sdk";
import type { FastifyRequest } from "fastify";
import { activityFilters, activityList, traceView, type ActivityFilters } from "./activity-page.js";
import { csrfOf } from "./audit.js";
import { operatorRoute } from "./gate.js";
import { html } from "./html.js";
import { layout, sendHtml, panelPages } from "./layout.js";

const FILTERS = {
  type: "object",
  additionalProperties: false,
  properties: {
    platform: { type: "string", maxLength: 64 },
    chat: { type: "string", maxLength: 512 },
    group: { type: "string", maxLength: 300 },
    before: { type: "string", pattern: "^[0-9]{0,15}$" },
  },
};
const SEQ_PARAMS = { type: "object", required: ["seq"], properties: { seq: { type: "string", pattern: "^[0-9]{1,15}$" } } };

export function registerActivityPage(host: Host): void {
  operatorRoute(host, "page", {
    method: "GET",
    url: "/dash/activity",
    schema: { summary: "Activity page: messages in and out", querystring: FILTERS },
    handler: (request, reply, user) => {
      const query = request.query as ActivityFilters;
      const body = html`<p class="muted">Messages in and out, newest first. A message's seq opens its trace: routing, run, tool calls and delivery.</p>
${activityFilters(host, query)}
${activityList(host, query)}`;
      return sendHtml(reply, layout({ title: "Activity", path: "/dash/activity", user, csrf: csrfOf(request), nav: panelPages(host) }, body));
    },
  });

  operatorRoute(host, "fragment", {
    method: "GET",
    url: "/dash/activity/list",
    schema: { summary: "The Activity page's message list", querystring: FILTERS },
    handler: (request, reply) => sendHtml(reply, activityList(host, request.query as ActivityFilters)),
  });

  const traceOf = (request: FastifyRequest) => {
    const seq = Number((request.params as { seq: string }).seq);
    const trace = host.instance.activity.trace(seq);
    if (!trace) throw new ArizukoError("ARZ_ERR_NOT_FOUND", `no message with seq ${seq}; it may have been purged, or the seq is from another instance`, { statusCode: 404 });
    return { seq, trace };
  };

  operatorRoute(host, "page", {
    method: "GET",
    url: "/dash/activity/:seq",
    schema: { summary: "One message's trace page: routing, run, tool calls and delivery", params: SEQ_PARAMS },
    handler: (request, reply, user) => {
      const { seq, trace } = traceOf(request);
      const body = html`<p><a href="/dash/activity?chat=${encodeURIComponent(trace.message.chat)}">← Activity of ${trace.message.chat}</a></p>${traceView(seq, trace)}`;
      return sendHtml(reply, layout({ title: `Message ${seq}`, path: "/dash/activity", user, csrf: csrfOf(request), nav: panelPages(host) }, body));
    },
  });

  operatorRoute(host, "fragment", {
    method: "GET",
    url: "/dash/activity/:seq/trace",
    schema: { summary: "One message's trace", params: SEQ_PARAMS },
    handler: (request, reply) => {
      const { seq, trace } = traceOf(request);
      return sendHtml(reply, traceView(seq, trace));
    },
  });
}
