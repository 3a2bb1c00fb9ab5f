/**
 * Secret values from the config (tokens, keys, passwords), so that text leaving the
 * host can be scrubbed of them. A plugin that builds an error from a library's message
 * may carry its token along, because a Bot API URL has the token in its path. The log
 * stream and `/health` replace every configured secret wherever it appears.
 */

/** Fields whose values are secrets: the config's errors name them but never print them. */
export const SECRET_FIELD = /(token|secret|key|password)$/i;

/** Shorter values are not scrubbed: they would match ordinary words and numbers. */
const MIN_SECRET_LENGTH = 8;

export const SCRUBBED = "[redacted]";

/** Collects the string values under secret fields anywhere in `config`, plugin configs included. */
export function secretValues(config: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, field: string) => {
    if (typeof value === "string") {
      if (SECRET_FIELD.test(field) && value.length >= MIN_SECRET_LENGTH) found.add(value);
      return;
    }
    if (Array.isArray(value)) value.forEach((item) => walk(item, field));
    else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) walk(item, key);
  };
  walk(config, "");
  return [...found];
}

/** Returns a function that replaces each of `secrets` in a text, also as JSON escapes and URL encoding would write it. */
export function scrubber(secrets: string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  // Sorted by length, descending, so a secret that contains another is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => ordered.reduce((result, form) => (result.includes(form) ? result.replaceAll(form, SCRUBBED) : result), text);
}
