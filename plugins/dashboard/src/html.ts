/**
 * HTML templates with escaping by default: every value put into an `html` template is
 * escaped, and loses its bidi control characters, unless it is itself the result of
 * `html` (or `raw`, for markup a plugin panel rendered). Arrays are joined, and null, undefined and false render nothing.
 */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

// Bidi embeddings, overrides and isolates: a file named `evil\u202Etxt.exe` would show as `evilexe.txt`.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function escapeHtml(value: string): string {
  return value.replace(BIDI_CONTROLS, "").replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0]!;
  for (let index = 0; index < values.length; index += 1) text += render(values[index]) + strings[index + 1]!;
  return new Html(text);
}

/** Marks trusted markup (a plugin panel's own rendering) as HTML. */
export const raw = (text: string) => new Html(text);

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
