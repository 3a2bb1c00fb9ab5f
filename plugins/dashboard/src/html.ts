/** HTML helpers of the dashboard: the escaping templates come from the sdk, which panels use too. */
import { html, type Html } from "@arizuko/sdk";

export { escapeHtml, html, Html, raw } from "@arizuko/sdk";

/** Formats a duration in words: `3 d 4 h`, `5 min`, `12 s`, `275 ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

export const isoTime = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString().replace("T", " ").slice(0, 19));

/** Renders a table of rows of cells, or `empty` in words when there are no rows. */
export function table(headers: string[], rows: unknown[][], empty: string, id?: string): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  const head = headers.map((header) => html`<th scope="col">${header}</th>`);
  const body = rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`);
  return html`<table${id ? html` id="${id}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A state word (ok, failed, running, …) with the colour its CSS class gives. */
export const state = (value: string) => html`<span class="state state-${value}">${value}</span>`;

/** Shortens `text` to `length` characters for a list, with an ellipsis when cut. */
export const excerpt = (text: string, length = 120) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
