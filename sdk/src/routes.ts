/** Reading route matches outside the route table: grants need a route's platform. */

/**
 * Returns the platform glob a route match limits it to: its `platform=` term, else the
 * platform part of a `chat=` term, else `*` (any platform).
 */
export function routePlatform(match: string): string {
  const terms = match.trim().split(/\s+/).filter((term) => term.length > 0 && !term.startsWith("!"));
  const platform = terms.find((term) => term.startsWith("platform="));
  if (platform) return platform.slice("platform=".length) || "*";
  const chat = terms.find((term) => term.startsWith("chat="));
  const prefix = chat?.slice("chat=".length).split(":")[0];
  return prefix && prefix.length > 0 && !prefix.includes("/") ? prefix : "*";
}
