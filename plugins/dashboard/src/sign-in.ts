/** The dashboard's sign-in page. The form posts to the core's `/auth/login` through dash.js, then goes to `next`. */
import type { FastifyRequest } from "fastify";
import { html, type Html } from "./html.js";
import { pageShell } from "./layout.js";

/** `next` when it is a dashboard path, else `/dash`: a sign-in never leads off the dashboard. */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || !/^\/dash(\/[\x21-\x7e]*)?$/.test(value) || value.includes("\\") || value.includes("//")) return "/dash";
  return value;
}

/** Renders the sign-in page. Without any account (`accounts` false) it explains how to make the first operator. */
export function signInPage(request: FastifyRequest, accounts: boolean): Html {
  const next = safeNext((request.query as { next?: unknown } | undefined)?.next);
  return pageShell(
    "Sign in",
    html`<main class="narrow">
<h1>arizuko dashboard</h1>
${accounts ? html`<p>Sign in with an operator account.</p>` : html`<p class="error">This instance has no accounts yet. Make the first operator on the server with <code>arizuko user add NAME --operator</code>, which prints its password once.</p>`}
<form id="sign-in" data-next="${next}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
  <p id="sign-in-error" class="error" role="alert"></p>
</form>
<noscript><p class="error">Signing in needs JavaScript: the form sends JSON to /auth/login.</p></noscript>
</main>`,
  );
}
