/** The dashboard's page frame: head with its own assets only, navigation, and the CSRF header htmx sends. */
import type { Host, UserInfo } from "@arizuko/sdk";
import type { FastifyReply } from "fastify";
import { html, type Html } from "./html.js";

export const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Pages in the navigation, in order. */
export const PAGES = [
  { path: "/dash", title: "Status" },
  { path: "/dash/activity", title: "Activity" },
  { path: "/dash/groups", title: "Groups" },
  { path: "/dash/runs", title: "Runs" },
  { path: "/dash/routes", title: "Routes" },
];

/** Plugin panels that asked for a page of their own, as navigation entries after the dashboard's pages. */
export function panelPages(host: Host): Array<{ path: string; title: string }> {
  return host.panels
    .list()
    .filter((panel) => panel.page === true)
    .map((panel) => ({ path: `/dash/panels/${panel.id}`, title: panel.title }));
}

/** Wraps `body` in a complete document without navigation (sign-in and error pages). */
export function pageShell(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
  <title>${title} · arizuko</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/dash/dash.css">
  <script src="/dash/htmx.min.js" defer></script>
  <script src="/dash/dash.js" defer></script>
</head>
<body>
${body}
</body>
</html>`;
}

/** Renders a dashboard page for a signed-in operator. htmx sends `csrf` with every request it makes. */
export function layout(options: { title: string; path: string; user: UserInfo; csrf: string; nav?: Array<{ path: string; title: string }> }, content: Html): Html {
  const links = [...PAGES, ...(options.nav ?? [])].map((page) => html`<li><a href="${page.path}"${page.path === options.path ? html` aria-current="page"` : ""}>${page.title}</a></li>`);
  const headers = JSON.stringify({ "X-CSRF-Token": options.csrf });
  return pageShell(
    options.title,
    html`<div hx-headers="${headers}" hx-ext="json-body">
<header>
  <strong>arizuko</strong>
  <nav aria-label="Dashboard"><ul>${links}</ul></nav>
  <span class="spacer"></span>
  <span class="muted">${options.user.username}</span>
  <button type="button" id="sign-out">Sign out</button>
</header>
<main>
<h1>${options.title}</h1>
<p id="flash" class="error" role="alert"></p>
${content}
</main>
</div>`,
  );
}

export function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).headers({ ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" }).send(body.text);
}
