/**
 * HTML templates with escaping by default: every value put into an `html` template is
 * escaped, and loses its bidi control characters, unless it is itself the result of
 * `html` (or `raw`, for markup known to be safe). Arrays are joined, and null, undefined and false render nothing.
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

/** Builds HTML from a template, escaping each value: `html`<td>${name}</td>`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0]!;
  for (let index = 0; index < values.length; index += 1) text += render(values[index]) + strings[index + 1]!;
  return new Html(text);
}

/** Marks trusted markup (a plugin panel's own rendering, say) as HTML, to put into `html` unescaped. */
export const raw = (text: string) => new Html(text);

